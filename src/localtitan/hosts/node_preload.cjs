'use strict';
// Loaded by `localtitan run` through NODE_OPTIONS=--require. Node's global fetch and its
// http/https modules ignore HTTPS_PROXY before Node 22.21 and 24.5; this sends both through
// the proxy named there, with CONNECT, so a program that hard-codes ServiceTitan's hosts
// reaches localtitan unchanged. Where Node has its own support (NODE_USE_ENV_PROXY=1, set
// by `localtitan run`), this file does nothing. Hosts in NO_PROXY are reached directly.
(function localtitanPreload() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  const nativeProxy =
    process.env.NODE_USE_ENV_PROXY === '1' &&
    ((major === 22 && minor >= 21) || (major === 24 && minor >= 5) || major >= 25);
  if (nativeProxy) return;
  const proxyText =
    process.env.HTTPS_PROXY || process.env.https_proxy ||
    process.env.HTTP_PROXY || process.env.http_proxy;
  if (!proxyText) return;
  const proxy = new URL(proxyText);
  const proxyHost = proxy.hostname.replace(/^\[|\]$/g, '');
  const proxyPort = Number(proxy.port) || 80;
  const noProxy = (process.env.NO_PROXY || process.env.no_proxy || '')
    .split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);

  const net = require('net');
  const tls = require('tls');
  const http = require('http');
  const https = require('https');

  function direct(host) {
    const name = String(host || 'localhost').toLowerCase().replace(/^\[|\]$/g, '');
    return noProxy.some((entry) => {
      if (entry === '*') return true;
      const bare = entry.replace(/^\*?\./, '');
      return name === bare || name.endsWith('.' + bare);
    });
  }

  // A socket to host:port through the proxy; callback(error) or callback(null, socket).
  function tunnel(host, port, callback) {
    const socket = net.connect(proxyPort, proxyHost);
    let head = Buffer.alloc(0);
    let settled = false;
    const fail = (error) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      callback(error);
    };
    socket.once('error', fail);
    socket.once('connect', () => {
      socket.write(`CONNECT ${host}:${port} HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`);
    });
    const onData = (chunk) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 16384) fail(new Error('The proxy sent an overlong answer.'));
        return;
      }
      socket.removeListener('data', onData);
      socket.pause();
      const status = Number(head.subarray(0, end).toString('latin1').split(' ')[1]);
      let body = head.subarray(end + 4);
      if (status === 200) {
        settled = true;
        socket.removeListener('error', fail);
        if (body.length) socket.unshift(body);
        callback(null, socket);
        return;
      }
      // A refusal: the proxy explains why in a JSON body, then closes.
      socket.on('data', (more) => { body = Buffer.concat([body, more]); });
      socket.once('close', () => {
        let reason = body.toString('utf8');
        try { reason = JSON.parse(reason).title || reason; } catch (_) { /* not JSON */ }
        fail(new Error(`The proxy at ${proxyText} refused ${host}:${port} (${status}): ${reason}`));
      });
      socket.resume();
    };
    socket.on('data', onData);
  }

  function secure(raw, host, options) {
    return tls.connect({ ...options, socket: raw, servername: options.servername || host });
  }

  // http/https: every agent, the global ones and any a library makes, opens sockets here.
  const plainConnection = http.Agent.prototype.createConnection;
  http.Agent.prototype.createConnection = function localtitanHttp(options, callback) {
    const host = options.host || options.hostname;
    if (options.socketPath || direct(host)) return plainConnection.call(this, options, callback);
    tunnel(host, Number(options.port) || 80, callback);
    return undefined;
  };
  const tlsConnection = https.Agent.prototype.createConnection;
  https.Agent.prototype.createConnection = function localtitanHttps(options, callback) {
    const host = options.host || options.hostname;
    if (options.socketPath || direct(host)) return tlsConnection.call(this, options, callback);
    tunnel(host, Number(options.port) || 443, (error, raw) => {
      if (error) return callback(error);
      callback(null, secure(raw, host, options));
    });
    return undefined;
  };

  // fetch: Node's bundled undici reads its dispatcher from this global symbol on every
  // request; touching Headers loads undici, which installs its default Agent there.
  const dispatcherKey = Symbol.for('undici.globalDispatcher.1');
  void globalThis.Headers;
  const current = globalThis[dispatcherKey];
  if (!current || typeof current.constructor !== 'function') return;
  const Agent = current.constructor;
  function connect(options, callback) {
    const host = options.hostname;
    const isTls = options.protocol === 'https:';
    const port = Number(options.port) || (isTls ? 443 : 80);
    const done = (socket) => {
      const settle = () => { socket.removeListener('error', bad); callback(null, socket); };
      const bad = (error) => callback(error);
      socket.once('error', bad);
      socket.once(isTls ? 'secureConnect' : 'connect', settle);
    };
    const tlsOptions = { servername: options.servername || host, ALPNProtocols: ['http/1.1'] };
    if (direct(host)) {
      done(isTls ? tls.connect({ ...tlsOptions, host, port }) : net.connect(port, host));
      return;
    }
    tunnel(host, port, (error, raw) => {
      if (error) return callback(error);
      if (!isTls) return callback(null, raw);
      done(secure(raw, host, tlsOptions));
    });
  }
  globalThis[dispatcherKey] = new Agent({ connect });
})();
