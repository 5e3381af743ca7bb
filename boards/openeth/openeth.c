// openeth: the Ethernet of QEMU's esp32c3 machine (an OpenCores Ethernet
// MAC, which ESP-IDF drives with CONFIG_ETH_USE_OPENETH) as a network
// interface with DHCP. QEMU emulates no Wi-Fi, so the QEMU variant of the
// C3 board (mpconfigvariant_QEMU.cmake) links this module and app/hw/esp32.py
// joins the network through it; the shipped images do not have it.
//
//     import openeth
//     openeth.active(True)      # starts the MAC, the PHY and DHCP
//     openeth.isconnected()     # True once DHCP has given an address
//     openeth.ifconfig()        # ('10.0.2.15', '255.255.255.0', gateway, DNS)
//
// On a real chip there is no such MAC: active(True) raises OSError.

#include <stdio.h>

#include "py/runtime.h"
#include "py/mperrno.h"

#include "esp_eth.h"
#include "esp_eth_mac_openeth.h"
#include "esp_eth_phy.h"
#include "esp_event.h"
#include "esp_netif.h"

// QEMU's user network answers DHCP at once; the PHY model has no real
// auto-negotiation, so a short timeout keeps the link from waiting for it.
#define AUTONEGO_TIMEOUT_MS (100)

static esp_netif_t *netif = NULL;

static void check(esp_err_t err, const char *what) {
    if (err != ESP_OK) {
        mp_raise_msg_varg(&mp_type_OSError,
            MP_ERROR_TEXT("openeth: %s failed: %s"), what, esp_err_to_name(err));
    }
}

static void start(void) {
    check(esp_netif_init(), "esp_netif_init");
    // MicroPython's startup made the default event loop already
    esp_err_t err = esp_event_loop_create_default();
    if (err != ESP_ERR_INVALID_STATE) {
        check(err, "esp_event_loop_create_default");
    }

    esp_netif_config_t netif_config = ESP_NETIF_DEFAULT_ETH();
    esp_netif_t *created = esp_netif_new(&netif_config);
    if (created == NULL) {
        mp_raise_OSError(MP_ENOMEM);
    }

    eth_mac_config_t mac_config = ETH_MAC_DEFAULT_CONFIG();
    eth_phy_config_t phy_config = ETH_PHY_DEFAULT_CONFIG();
    phy_config.autonego_timeout_ms = AUTONEGO_TIMEOUT_MS;
    esp_eth_mac_t *mac = esp_eth_mac_new_openeth(&mac_config);
    esp_eth_phy_t *phy = esp_eth_phy_new_dp83848(&phy_config);
    if (mac == NULL || phy == NULL) {
        esp_netif_destroy(created);
        mp_raise_msg(&mp_type_OSError,
            MP_ERROR_TEXT("openeth: no OpenCores Ethernet MAC (only QEMU has one)"));
    }

    esp_eth_config_t eth_config = ETH_DEFAULT_CONFIG(mac, phy);
    esp_eth_handle_t eth = NULL;
    check(esp_eth_driver_install(&eth_config, &eth), "esp_eth_driver_install");
    check(esp_netif_attach(created, esp_eth_new_netif_glue(eth)), "esp_netif_attach");
    check(esp_eth_start(eth), "esp_eth_start");
    netif = created;
}

// active([state]): starts the interface once (it cannot be stopped);
// returns whether it runs.
static mp_obj_t openeth_active(size_t n_args, const mp_obj_t *args) {
    if (n_args == 1 && netif == NULL) {
        if (!mp_obj_is_true(args[0])) {
            return mp_const_false;
        }
        start();
    }
    return mp_obj_new_bool(netif != NULL);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(openeth_active_obj, 0, 1, openeth_active);

static mp_obj_t openeth_isconnected(void) {
    esp_netif_ip_info_t info;
    if (netif == NULL || esp_netif_get_ip_info(netif, &info) != ESP_OK) {
        return mp_const_false;
    }
    return mp_obj_new_bool(info.ip.addr != 0);
}
static MP_DEFINE_CONST_FUN_OBJ_0(openeth_isconnected_obj, openeth_isconnected);

static mp_obj_t address(const esp_ip4_addr_t *address) {
    char text[16];
    int length = snprintf(text, sizeof(text), IPSTR, IP2STR(address));
    return mp_obj_new_str(text, length);
}

// ifconfig(): (address, netmask, gateway, DNS server) as strings, as
// network.WLAN.ifconfig() gives them.
static mp_obj_t openeth_ifconfig(void) {
    esp_netif_ip_info_t info = {0};
    esp_netif_dns_info_t dns = {0};
    if (netif != NULL) {
        esp_netif_get_ip_info(netif, &info);
        esp_netif_get_dns_info(netif, ESP_NETIF_DNS_MAIN, &dns);
    }
    mp_obj_t items[4] = {
        address(&info.ip), address(&info.netmask), address(&info.gw),
        address(&dns.ip.u_addr.ip4),
    };
    return mp_obj_new_tuple(4, items);
}
static MP_DEFINE_CONST_FUN_OBJ_0(openeth_ifconfig_obj, openeth_ifconfig);

static const mp_rom_map_elem_t openeth_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_openeth) },
    { MP_ROM_QSTR(MP_QSTR_active), MP_ROM_PTR(&openeth_active_obj) },
    { MP_ROM_QSTR(MP_QSTR_isconnected), MP_ROM_PTR(&openeth_isconnected_obj) },
    { MP_ROM_QSTR(MP_QSTR_ifconfig), MP_ROM_PTR(&openeth_ifconfig_obj) },
};
static MP_DEFINE_CONST_DICT(openeth_globals, openeth_globals_table);

const mp_obj_module_t openeth_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&openeth_globals,
};

MP_REGISTER_MODULE(MP_QSTR_openeth, openeth_module);
