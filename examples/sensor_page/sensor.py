"""The sensor of the sensor page: on an ESP32, the voltage on an ADC pin
(a potentiometer, a light or temperature sensor in a divider, ...);
elsewhere, on a host or the MicroPython unix port, a simulated voltage, so
that the page can be tried without a board. SIMULATED says which."""
try:
    from machine import ADC, Pin
except ImportError:  # CPython, or a port without an ADC
    ADC = None

PIN = 2  # ADC1 channel 2 on an ESP32-C3; any ADC1 pin on an ESP32-S3
SIMULATED = ADC is None

if SIMULATED:
    import math
    import time

    def read_millivolts():
        # a slow wave between 1050 and 2250 mV, one period in about 2 min
        return 1650 + int(600 * math.sin(time.time() / 20))
else:
    # 11 dB attenuation: 0 to about 3.1 V at the pin
    adc = ADC(Pin(PIN), atten=ADC.ATTN_11DB)

    def read_millivolts():
        return adc.read_uv() // 1000  # calibrated by the chip
