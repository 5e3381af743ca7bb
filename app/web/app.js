// The device's web UI: status kept live over Server-Sent Events (with
// /api/status polled while the stream is down), a firmware upload that waits
// for the device to come back on its new version, the settings (Wi-Fi,
// hostname, OTA token, reboot, factory reset) and the logs, live.
// Plain browser JavaScript, no build step.
'use strict';

var STALE_MS = 7000;       // status comes every 2 s: 3 missed means gone
var POLL_MS = 2000;        // while the event stream is down
var FETCH_TIMEOUT_MS = 4000;
var REBOOT_TIMEOUT_MS = 90000;  // a board with a slow Wi-Fi join takes a while
var TOKEN_KEY = 'ota-token';
var LOG_LIMIT = 30000;     // characters of log the page keeps
var LOG_STALE_MS = 40000;  // the log stream sends a ping every 15 s
var LOG_RETRY_MS = 2000;
var CHIPS = {0: 'ESP32', 2: 'ESP32-S2', 5: 'ESP32-C3', 9: 'ESP32-S3',
             12: 'ESP32-C2', 13: 'ESP32-C6', 16: 'ESP32-H2'};

var last = null;           // the latest status the device sent
var lastSeen = 0;          // when it came (Date.now())
var source = null;         // the EventSource while the stream is open
var streamFailures = 0;    // streams that failed before any event: backoff
var streamRetryAt = 0;
var pollTimer = null;
var confirming = null;     // version just installed, not yet confirmed valid
var upload = null;         // the XMLHttpRequest of the running upload
var settings = null;       // {wifi_ssid, hostname} as the device sent them
var logStream = null;      // the AbortController of the open log stream
var logId = 'none';        // the last log event's id (none: from the start)
var logSeen = 0;           // when the log stream last sent something
var logTimer = null;

function byId(id) {
  return document.getElementById(id);
}

function setText(id, text) {
  byId(id).textContent = text;
}

// --- formatting -------------------------------------------------------------

function formatDuration(seconds) {
  seconds = Math.max(0, Math.floor(seconds));
  var days = Math.floor(seconds / 86400);
  var hours = Math.floor(seconds % 86400 / 3600);
  var minutes = Math.floor(seconds % 3600 / 60);
  var parts = [];
  if (days) parts.push(days + ' d');
  if (days || hours) parts.push(hours + ' h');
  if (days || hours || minutes) parts.push(minutes + ' min');
  if (!days) parts.push(seconds % 60 + ' s');  // seconds matter only early on
  return parts.join(' ');
}

function formatBytes(count) {
  if (count < 1024) return count + ' B';
  if (count < 1024 * 1024) return (count / 1024).toFixed(1) + ' KiB';
  return (count / 1048576).toFixed(2) + ' MiB';
}

function formatSignal(rssi) {
  if (rssi === null || rssi === undefined) return 'not connected';
  var quality = rssi >= -55 ? 'excellent' : rssi >= -67 ? 'good' :
    rssi >= -75 ? 'fair' : 'weak';
  return rssi + ' dBm (' + quality + ')';
}

var STATE_HELP = {
  'valid': 'Confirmed: this image stays.',
  'pending-verify': 'On trial: confirmed after its health check, ' +
    'rolled back if it fails.',
  'new': 'Installed, not started yet.',
  'invalid': 'Marked invalid.',
  'aborted': 'Its trial failed: it will not boot again.',
  'undefined': 'No OTA state recorded (first flashed by cable).'
};

// --- status -----------------------------------------------------------------

function render(status) {
  setText('version', status.version || '?');
  setText('project', status.project ? '(' + status.project + ')' : '');
  setText('framework', status.framework ?
    'microdot-esp ' + status.framework : '');
  setText('partition', status.partition || '?');
  setText('next', status.next_partition ?
    'next update goes to ' + status.next_partition : '');
  var badge = byId('ota-state');
  badge.textContent = status.ota_state || '?';
  badge.dataset.state = status.ota_state || '';
  badge.title = STATE_HELP[status.ota_state] || '';
  setText('chip', status.chip || '?');
  setText('uptime', typeof status.uptime_s === 'number' ?
    formatDuration(status.uptime_s) : '?');
  setText('heap', typeof status.free_heap === 'number' ?
    formatBytes(status.free_heap) : '?');
  setText('rssi', formatSignal(status.wifi_rssi));
  setText('hostname', status.hostname || '?');
  var name = status.hostname || 'Device';
  setText('title', name);
  document.title = name + ' · ' + (status.version || '');
}

function received(status, how) {
  last = status;
  lastSeen = Date.now();
  render(status);
  setConnection(how);
  checkConfirmation(status);
}

function connectionState() {
  return byId('conn').dataset.state;
}

function setConnection(state) {
  var words = {
    connecting: 'Connecting…',
    live: 'Live',
    polling: 'Connected (polling)',
    lost: 'Connection lost, reconnecting…'
  };
  var element = byId('conn');
  if (element.dataset.state !== state) {
    element.dataset.state = state;
    element.textContent = words[state];
  }
  byId('status').classList.toggle('stale', state === 'lost');
}

// GET /api/status; rejects on a network error, a timeout or a non-200 answer
function fetchStatus() {
  var controller = window.AbortController ? new AbortController() : null;
  var timer = controller && setTimeout(function () {
    controller.abort();
  }, FETCH_TIMEOUT_MS);
  return fetch('/api/status', {
    cache: 'no-store',
    signal: controller ? controller.signal : undefined
  }).then(function (response) {
    if (!response.ok) throw new Error('HTTP ' + response.status);
    return response.json();
  }).finally(function () {
    clearTimeout(timer);
  });
}

function openStream() {
  if (!window.EventSource) {
    schedulePoll(0);  // an old browser: polling alone
    return;
  }
  var gotEvent = false;
  // "live" once an event has come: an open stream that stays silent (a
  // proxy holding it back) is not live
  source = new EventSource('/api/events');
  source.addEventListener('status', function (event) {
    gotEvent = true;
    streamFailures = 0;
    try {
      received(JSON.parse(event.data), 'live');
    } catch (error) {
      console.error('bad status event', error);
    }
  });
  // EventSource retries by itself, but not after some failures and never
  // with a fallback: close it, poll, and reopen once the device answers
  source.onerror = function () {
    closeStream();
    if (!gotEvent) streamFailures++;
    streamRetryAt = Date.now() +
      Math.min(30000, 1000 * Math.pow(2, streamFailures));
    setConnection('lost');
    schedulePoll(500);
  };
}

function closeStream() {
  if (source) {
    source.close();
    source = null;
  }
}

function schedulePoll(delay) {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(poll, delay);
}

function poll() {
  pollTimer = null;
  fetchStatus().then(function (status) {
    received(status, 'polling');
    if (Date.now() >= streamRetryAt) openStream();
    else schedulePoll(POLL_MS);
  }, function () {
    setConnection('lost');
    schedulePoll(POLL_MS);
  });
}

// A board that loses power or resets closes no connection: the stream then
// just goes quiet, which this notices.
setInterval(function () {
  if (source && lastSeen && Date.now() - lastSeen > STALE_MS) {
    source.onerror();
  }
}, 1000);

// --- messages ---------------------------------------------------------------

function showMessage(id, kind, text) {
  var element = byId(id);
  element.className = 'msg ' + kind;
  element.textContent = text;
  element.hidden = false;
}

// The error text of a JSON answer {"error": "..."}, or the HTTP status
function errorText(status, text) {
  var reason = '';
  try {
    reason = JSON.parse(text).error || '';
  } catch (error) {
    reason = (text || '').slice(0, 200);
  }
  return (reason || 'no reason given') + ' (HTTP ' + status + ')';
}

function savedToken() {
  try {
    return localStorage.getItem(TOKEN_KEY) || '';
  } catch (error) {
    return '';  // storage disabled: the user types it each time
  }
}

function saveToken(token) {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch (error) {
    // storage disabled or full: nothing is remembered
  }
}

// --- waiting for a reboot ---------------------------------------------------

// Polls /api/status until the device has restarted (it answers with
// another boot_id), then calls done(status); calls done(null) after
// REBOOT_TIMEOUT_MS. Not by its uptime: a restart that takes less time
// than the device had been up when asked leaves no sign there.
function waitForRestart(before, onWait, done) {
  var started = Date.now();
  var wentDown = false;
  function attempt() {
    fetchStatus().then(function (status) {
      // with no status from before, a device that stopped answering
      if (before ? status.boot_id !== before.boot_id : wentDown) {
        done(status);
      } else {
        retry();
      }
    }, function () {
      wentDown = true;
      retry();
    });
  }
  function retry() {
    var waited = Date.now() - started;
    if (waited > REBOOT_TIMEOUT_MS) {
      done(null);
      return;
    }
    onWait(Math.round(waited / 1000));
    setTimeout(attempt, 1000);
  }
  setTimeout(attempt, 1000);
}

// After an update the new image runs on trial until its health check
// passes: the live status tells how that ends.
function checkConfirmation(status) {
  if (!confirming) return;
  if (status.version !== confirming) {
    showMessage('result', 'err', 'Rolled back: the device runs ' +
      status.version + ' again, version ' + confirming +
      ' failed its health check.');
    confirming = null;
  } else if (status.ota_state !== 'pending-verify') {
    showMessage('result', 'ok', updateComplete(status));
    confirming = null;
  }
}

function updateComplete(status) {
  return 'Update complete: version ' + status.version + ' runs from ' +
    status.partition + ' (' + status.ota_state + ').';
}

// --- image file -------------------------------------------------------------

function cString(bytes, start, length) {
  var end = start;
  while (end < start + length && bytes[end]) end++;
  return new TextDecoder().decode(bytes.subarray(start, end));
}

// What the first bytes of an app image say: the app descriptor (at offset
// 32) holds version and project name; a wrong pick is told before upload.
function describeImage(file) {
  var info = byId('image-info');
  info.className = '';
  if (!file) {
    info.textContent = '';
    return;
  }
  file.slice(0, 304).arrayBuffer().then(function (buffer) {
    var bytes = new Uint8Array(buffer);
    var size = formatBytes(file.size);
    var view = new DataView(buffer);
    if (bytes.length < 304 || bytes[0] !== 0xE9) {
      info.className = 'warn';
      info.textContent = size + ': not an ESP32 app image (it does not ' +
        'start with byte 0xE9); the device will refuse it.';
      return;
    }
    var chipId = view.getUint16(12, true);
    var chip = CHIPS[chipId] || 'chip id ' + chipId;
    if (view.getUint32(32, true) !== 0xABCD5432) {
      info.className = 'warn';
      info.textContent = size + ', ' + chip + ': no app descriptor; this ' +
        'looks like a bootloader or a merged flash image, pick the app ' +
        'binary.';
      return;
    }
    var text = cString(bytes, 80, 32) + ' ' + cString(bytes, 48, 32) +
      ' for ' + chip + ', ' + size;
    if (last && last.chip && last.chip !== chip) {
      info.className = 'warn';
      text += ': this device is ' + last.chip + ', it will refuse the image.';
    }
    info.textContent = text;
  }, function () {
    info.textContent = 'Could not read the file.';
  });
}

function sha256Hex(file) {
  // crypto.subtle exists only in secure contexts (https, localhost): over
  // plain http to the board the device checks the image's own hash alone
  if (!window.crypto || !crypto.subtle) return Promise.resolve(null);
  return file.arrayBuffer().then(function (buffer) {
    return crypto.subtle.digest('SHA-256', buffer);
  }).then(function (digest) {
    return Array.from(new Uint8Array(digest), function (byte) {
      return byte.toString(16).padStart(2, '0');
    }).join('');
  });
}

// --- update -----------------------------------------------------------------

function setBusy(busy) {
  byId('upload').disabled = busy;
  byId('image').disabled = busy;
  byId('token').disabled = busy;
  byId('reboot').disabled = busy;
}

function showProgress(sent, total) {
  var percent = total ? Math.floor(sent * 100 / total) : 0;
  byId('progress-box').hidden = false;
  byId('progress').value = percent;
  setText('progress-text', percent + ' % · ' + formatBytes(sent) + ' of ' +
    formatBytes(total));
}

function startUpload() {
  var file = byId('image').files[0];
  var token = byId('token').value.trim();
  if (!token) {
    showMessage('result', 'err', 'Enter the OTA token first.');
    byId('token').focus();
    return;
  }
  if (!file) {
    showMessage('result', 'err', 'Choose an app image (.bin) first.');
    byId('image').focus();
    return;
  }
  setBusy(true);
  confirming = null;
  showProgress(0, file.size);
  showMessage('result', 'busy', 'Checking the file…');
  sha256Hex(file).then(function (digest) {
    send(file, token, digest);
  }, function (error) {
    setBusy(false);
    showMessage('result', 'err', 'Could not read the file: ' + error);
  });
}

function send(file, token, digest) {
  var before = last;
  var request = new XMLHttpRequest();
  upload = request;
  request.open('POST', '/api/ota');
  request.setRequestHeader('Content-Type', 'application/octet-stream');
  request.setRequestHeader('Authorization', 'Bearer ' + token);
  if (digest) request.setRequestHeader('X-OTA-SHA256', digest);
  request.upload.onprogress = function (event) {
    showProgress(event.loaded,
      event.lengthComputable ? event.total : file.size);
  };
  request.upload.onload = function () {
    showProgress(file.size, file.size);
    showMessage('result', 'busy', 'Sent; the device is checking the image…');
  };
  request.onload = function () {
    upload = null;
    byId('cancel').hidden = true;
    if (request.status !== 200) {
      if (request.status === 401) saveToken('');  // a stale token goes
      setBusy(false);
      showMessage('result', 'err', 'Update refused: ' +
        errorText(request.status, request.responseText));
      return;
    }
    saveToken(token);
    var version = '';
    try {
      version = JSON.parse(request.responseText).version || '';
    } catch (error) {
      // an answer without JSON: still wait for the device and see
    }
    showMessage('result', 'busy', 'Installed version ' + version +
      '. The device is restarting…');
    waitForRestart(before, function (seconds) {
      showMessage('result', 'busy', 'Installed version ' + version +
        '. Waiting for the device to restart… ' + seconds + ' s');
    }, function (status) {
      setBusy(false);
      if (!status) {
        showMessage('result', 'err', 'The device has not answered for ' +
          REBOOT_TIMEOUT_MS / 1000 + ' s since the update. Check its power ' +
          'and its console.');
        return;
      }
      received(status, connectionState());
      if (version && status.version !== version) {
        showMessage('result', 'err', 'The device restarted on version ' +
          status.version + ', not ' + version +
          ': the update was rolled back.');
      } else if (status.ota_state === 'pending-verify') {
        confirming = status.version;
        showMessage('result', 'busy', 'Version ' + status.version +
          ' runs from ' + status.partition + ' on trial: it is confirmed ' +
          'once its health check passes.');
      } else {
        showMessage('result', 'ok', updateComplete(status));
      }
    });
  };
  request.onerror = function () {
    upload = null;
    byId('cancel').hidden = true;
    setBusy(false);
    showMessage('result', 'err', 'The connection broke during the upload; ' +
      'the device keeps its current firmware.');
  };
  request.onabort = function () {
    upload = null;
    byId('cancel').hidden = true;
    setBusy(false);
    showMessage('result', 'err', 'Upload cancelled; the device keeps its ' +
      'current firmware.');
  };
  byId('cancel').hidden = false;
  showMessage('result', 'busy', 'Uploading…');
  request.send(file);
}

// --- reboot -----------------------------------------------------------------

function reboot() {
  var token = tokenFor('reboot-result');
  if (!token) return;
  var name = last && last.hostname || 'the device';
  var question = 'Reboot ' + name + ' now? It is offline for a few seconds.';
  if (!window.confirm(question)) {
    return;
  }
  var before = last;
  setBusy(true);
  fetch('/api/reboot', {
    method: 'POST',
    headers: {'Authorization': 'Bearer ' + token}
  }).then(function (response) {
    return response.text().then(function (text) {
      if (response.status !== 200) {
        if (response.status === 401) saveToken('');
        setBusy(false);
        showMessage('reboot-result', 'err', 'Reboot refused: ' +
          errorText(response.status, text));
        return;
      }
      saveToken(token);
      showMessage('reboot-result', 'busy', 'Rebooting…');
      waitForRestart(before, function (seconds) {
        showMessage('reboot-result', 'busy', 'Rebooting… ' + seconds + ' s');
      }, function (status) {
        setBusy(false);
        if (status) {
          showMessage('reboot-result', 'ok', 'The device is back, running ' +
            status.version + ' from ' + status.partition + '.');
        } else {
          showMessage('reboot-result', 'err', 'The device has not come back ' +
            'after ' + REBOOT_TIMEOUT_MS / 1000 + ' s.');
        }
      });
    });
  }, function (error) {
    setBusy(false);
    showMessage('reboot-result', 'err', 'Could not reach the device: ' +
      error.message);
  });
}

// --- settings ---------------------------------------------------------------

// The token typed above, or '' after saying it is needed (in element `id`)
function tokenFor(id) {
  var token = byId('token').value.trim();
  if (!token) {
    showMessage(id, 'err', 'Enter the OTA token above first.');
    byId('token').focus();
  }
  return token;
}

// fetch() with the OTA token (and JSON, if `body`); resolves to the answer
// {status, text, data}; forgets a token the device refuses
function authorized(method, path, body) {
  var token = byId('token').value.trim();
  var headers = {'Authorization': 'Bearer ' + token};
  if (body) headers['Content-Type'] = 'application/json';
  return fetch(path, {
    method: method, headers: headers, cache: 'no-store',
    body: body ? JSON.stringify(body) : undefined
  }).then(function (response) {
    return response.text().then(function (text) {
      var data = null;
      try {
        data = JSON.parse(text);
      } catch (error) {
        // not JSON: errorText() shows the text
      }
      if (response.status === 401) saveToken('');
      else if (response.ok) saveToken(token);
      return {status: response.status, text: text, data: data || {}};
    });
  });
}

function unreachable(id) {
  return function (error) {
    showMessage(id, 'err', 'Could not reach the device: ' + error.message);
  };
}

var FIELDS = ['wifi_ssid', 'wifi_password', 'hostname'];

function field(name) {
  return byId('f-' + name);
}

function fieldError(name, text) {
  var element = byId('f-' + name + '-err');
  element.textContent = text;
  element.hidden = !text;
  if (text) field(name).setAttribute('aria-invalid', 'true');
  else field(name).removeAttribute('aria-invalid');
}

// Fills the form from the device; then `done`, if given, says how it went
function loadSettings(done) {
  if (!byId('token').value.trim()) return;
  authorized('GET', '/api/settings').then(function (answer) {
    if (answer.status !== 200) {
      showMessage('settings-result', 'err', 'Could not read the settings: ' +
        errorText(answer.status, answer.text));
      return;
    }
    settings = answer.data;
    field('wifi_ssid').value = settings.wifi_ssid;
    field('wifi_password').value = '';
    field('hostname').value = settings.hostname;
    FIELDS.forEach(function (name) {
      fieldError(name, '');
    });
    byId('settings-fields').disabled = false;
    if (typeof done === 'function') done();
    else byId('settings-result').hidden = true;
  }, unreachable('settings-result'));
}

// What the form changes: a password goes with a new network (empty: an
// open one) or when one is typed
function changes() {
  var changed = {};
  var ssid = field('wifi_ssid').value;
  var password = field('wifi_password').value;
  var hostname = field('hostname').value.trim();
  if (ssid !== settings.wifi_ssid) changed.wifi_ssid = ssid;
  if (password || 'wifi_ssid' in changed) changed.wifi_password = password;
  if (hostname !== settings.hostname) changed.hostname = hostname;
  return changed;
}

function saveSettings() {
  if (!tokenFor('settings-result') || !settings) return;
  var changed = changes();
  FIELDS.forEach(function (name) {
    fieldError(name, '');
  });
  if (!Object.keys(changed).length) {
    showMessage('settings-result', 'err', 'Nothing to save: no setting ' +
      'was changed.');
    return;
  }
  var before = last;
  byId('settings-fields').disabled = true;
  showMessage('settings-result', 'busy', 'Saving…');
  authorized('POST', '/api/settings', changed).then(function (answer) {
    if (answer.status !== 200) {
      byId('settings-fields').disabled = false;
      var name = answer.data.field;
      if (answer.status === 400 && FIELDS.indexOf(name) >= 0) {
        fieldError(name, answer.data.error);
        field(name).focus();
        showMessage('settings-result', 'err', 'Not saved: see the field ' +
          'marked.');
      } else {
        showMessage('settings-result', 'err', 'Not saved: ' +
          errorText(answer.status, answer.text));
      }
      return;
    }
    showMessage('settings-result', 'busy', 'Saved. The device restarts…');
    waitForRestart(before, function (seconds) {
      showMessage('settings-result', 'busy', 'Saved. Waiting for the ' +
        'device to restart… ' + seconds + ' s');
    }, function (status) {
      if (!status) {
        showMessage('settings-result', 'err', 'The device has not come ' +
          'back after ' + REBOOT_TIMEOUT_MS / 1000 + ' s.' +
          ('wifi_ssid' in changed ? ' It may be on the new network now, ' +
          'or in set-up mode (its own access point) if it could not join.' :
          ''));
        return;
      }
      received(status, connectionState());
      loadSettings(function () {
        showMessage('settings-result', 'ok', 'Saved. The device is back ' +
          'as ' + status.hostname + ' (' + status.hostname + '.local).');
      });
    });
  }, function (error) {
    byId('settings-fields').disabled = false;
    unreachable('settings-result')(error);
  });
}

function rotateToken() {
  if (!tokenFor('token-result')) return;
  if (!window.confirm('Make a new OTA token? The current one stops ' +
      'working at once: tools and scripts that use it need the new one.')) {
    return;
  }
  authorized('POST', '/api/settings/token').then(function (answer) {
    var token = answer.data.ota_token;
    if (answer.status !== 200 || !token) {
      showMessage('token-result', 'err', 'No new token: ' +
        errorText(answer.status, answer.text));
      return;
    }
    byId('token').value = token;
    saveToken(token);
    byId('new-token').value = token;
    byId('new-token-box').hidden = false;
    showMessage('token-result', 'ok', 'The device has a new OTA token; the ' +
      'old one no longer works.');
  }, unreachable('token-result'));
}

function copyToken() {
  var element = byId('new-token');
  element.select();
  var copied = navigator.clipboard ?
    navigator.clipboard.writeText(element.value) : Promise.reject();
  copied.catch(function () {
    if (!document.execCommand('copy')) throw new Error();
  }).then(function () {
    setText('copy-hint', 'Copied. Keep it where your tools can use it.');
  }, function () {
    setText('copy-hint', 'Selected: press Ctrl+C (or ⌘C) to copy it.');
  });
}

function factoryReset() {
  if (!tokenFor('reboot-result')) return;
  var name = last && last.hostname || 'the device';
  if (!window.confirm('Erase all settings of ' + name + '? It forgets its ' +
      'Wi-Fi network, hostname and OTA token, and restarts in set-up ' +
      'mode: join the Wi-Fi access point it opens to set it up again. A ' +
      'new OTA token will be made then.')) {
    return;
  }
  authorized('POST', '/api/factory-reset').then(function (answer) {
    if (answer.status !== 200) {
      showMessage('reboot-result', 'err', 'Factory reset refused: ' +
        errorText(answer.status, answer.text));
      return;
    }
    saveToken('');
    byId('token').value = '';
    settings = null;
    byId('settings-fields').disabled = true;
    // nameless now, it opens its access point under the default name
    showMessage('reboot-result', 'ok', 'Settings erased. ' + name +
      ' restarts in set-up mode: join its Wi-Fi access point, ' +
      'microdot-esp-…, to set it up again.');
  }, unreachable('reboot-result'));
}

// --- logs -------------------------------------------------------------------

function setLogState(text) {
  var element = byId('logs-state');
  element.className = 'small';
  element.textContent = text;
}

// The Logs view streams while it is open
function startLogs() {
  if (!logStream && byId('logs-view').open && tokenFor('logs-state')) {
    readLogs();
  }
}

function stopLogs() {
  var stream = logStream;
  logStream = null;
  clearTimeout(logTimer);
  if (stream) stream.abort();
}

// The stream of /api/logs/stream, read with fetch() (EventSource cannot
// send the token): all that is kept, then each new line; reopened after a
// break from the last event's id, so no line comes twice
function readLogs() {
  var stream = new AbortController();
  logStream = stream;
  logSeen = Date.now();
  setLogState('Connecting…');
  fetch('/api/logs/stream', {
    headers: {'Authorization': 'Bearer ' + byId('token').value.trim(),
              'Last-Event-ID': logId},
    cache: 'no-store', signal: stream.signal
  }).then(function (response) {
    if (!response.ok) {
      return response.text().then(function (text) {
        if (response.status === 401) saveToken('');
        stopLogs();
        showMessage('logs-state', 'err', 'Logs refused: ' +
          errorText(response.status, text));
      });
    }
    setLogState('Live');
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var pending = '';
    function next(result) {
      if (result.done) throw new Error('the stream ended');
      logSeen = Date.now();
      pending += decoder.decode(result.value, {stream: true});
      var end = pending.indexOf('\n\n');
      while (end >= 0) {
        logEvent(pending.slice(0, end));
        pending = pending.slice(end + 2);
        end = pending.indexOf('\n\n');
      }
      return reader.read().then(next);
    }
    return reader.read().then(next);
  }).catch(function () {
    if (logStream !== stream) return;  // stopped
    setLogState('Connection lost, reconnecting…');
    logTimer = setTimeout(readLogs, LOG_RETRY_MS);
  });
}

function logEvent(block) {
  var data = [];
  block.split('\n').forEach(function (line) {
    if (line.slice(0, 6) === 'data: ') data.push(line.slice(6));
    else if (line.slice(0, 4) === 'id: ') logId = line.slice(4);
  });
  if (data.length) appendLog(data.join('\n'));
}

// Adds text to the log, whose oldest lines go past LOG_LIMIT; follows the
// end unless the reader has scrolled up
function appendLog(text) {
  var box = byId('log');
  var following = box.scrollHeight - box.scrollTop - box.clientHeight < 30;
  var all = box.textContent + text;
  if (all.length > LOG_LIMIT) {
    all = all.slice(all.indexOf('\n', all.length - LOG_LIMIT) + 1);
  }
  box.textContent = all;
  if (following) box.scrollTop = box.scrollHeight;
}

// A device that lost power sends nothing more, not even the pings
setInterval(function () {
  if (logStream && Date.now() - logSeen > LOG_STALE_MS) logStream.abort();
}, 1000);

// --- start ------------------------------------------------------------------

byId('token').value = savedToken();
byId('update').addEventListener('submit', function (event) {
  event.preventDefault();
  startUpload();
});
byId('image').addEventListener('change', function () {
  describeImage(byId('image').files[0]);
});
byId('cancel').addEventListener('click', function () {
  if (upload) upload.abort();
});
byId('reboot').addEventListener('click', reboot);
// The Settings and Logs views ask the device only while they are open
byId('token').addEventListener('change', function () {
  if (byId('settings-view').open) loadSettings();
  startLogs();
});
byId('settings-view').addEventListener('toggle', function () {
  if (byId('settings-view').open) loadSettings();
});
byId('logs-view').addEventListener('toggle', function () {
  if (byId('logs-view').open) startLogs();
  else stopLogs();
});
byId('settings').addEventListener('submit', function (event) {
  event.preventDefault();
  saveSettings();
});
byId('rotate').addEventListener('click', rotateToken);
byId('copy').addEventListener('click', copyToken);
byId('factory-reset').addEventListener('click', factoryReset);
fetchStatus().then(function (status) {
  received(status, connectionState());  // the stream tells whether it is live
}, function () {
  setConnection('lost');
});
openStream();
