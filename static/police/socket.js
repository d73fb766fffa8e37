/* Vigie police app: the WebSocket to /ws/police/ (dispatch/consumers.py).
 *
 * The token goes in the first frame (never in the URL, which access logs keep). The server
 * answers with `police.hello` (the units and their live dispatches, read from the database),
 * then sends `intervention.updated` and `intervention.withdrawn` as they happen, and a `ping`
 * every 15 s, answered with a `pong`. Every hello carries the whole record, so a reconnection
 * misses nothing: a lost connection is opened again by itself after a growing, capped,
 * jittered delay, and one silent for `silenceMs` is taken for dead. Positions travel on the
 * same socket; their `police.result` replies are matched by `request_id`.
 */
(function () {
  "use strict";

  const { config } = window.VigiePolice;

  // Close codes sent by the server (dispatch/consumers.py).
  const NOT_SIGNED_IN = 4401;
  const NOT_ALLOWED = 4403;

  class PoliceSocket {
    /** handlers: onHello(frame), onFrame(frame), onState(state, seconds), onSignedOut(),
     * onRefused(). */
    constructor(handlers) {
      this.handlers = handlers;
      this.pending = new Map(); // request_id -> {resolve, reject, timer}
      this.ws = null;
      this.ready = false;
      this.attempt = 0;
      this.retryTimer = null;
      this.countdown = null;
      this.stopped = true;
      this.lastHeard = 0;
      this.nextRequest = 1;
      this.token = null;
      setInterval(() => this.checkAlive(), 1000);
      window.addEventListener("online", () => {
        if (!this.stopped && this.retryTimer) this.connectNow();
      });
      document.addEventListener("visibilitychange", () => {
        // A phone that slept may hold a dead socket the browser still thinks open.
        if (document.visibilityState === "visible" && !this.stopped) this.checkAlive(true);
      });
    }

    start(token) {
      this.token = token;
      this.stopped = false;
      this.attempt = 0;
      this.connectNow();
    }

    stop() {
      this.stopped = true;
      this.token = null;
      this.clearRetry();
      this.drop();
      this.failPending("lost");
      this.handlers.onState("offline");
    }

    get connected() {
      return Boolean(this.ws && this.ws.readyState === WebSocket.OPEN && this.ready);
    }

    connectNow() {
      this.clearRetry();
      this.drop();
      this.handlers.onState(this.attempt ? "reconnecting" : "connecting");
      const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
      const ws = new WebSocket(scheme + "//" + window.location.host + config.socketPath);
      this.ws = ws;
      this.lastHeard = Date.now();
      ws.onopen = () => {
        if (ws === this.ws) ws.send(JSON.stringify({ type: "auth", token: this.token }));
      };
      ws.onmessage = (event) => {
        if (ws === this.ws) this.receive(event.data);
      };
      ws.onclose = (event) => {
        if (ws === this.ws) this.closed(event.code);
      };
    }

    /** Forget the current socket (its late frames are ignored) and close it. */
    drop() {
      const ws = this.ws;
      this.ws = null;
      this.ready = false;
      if (ws) {
        ws.onopen = ws.onmessage = ws.onclose = null;
        ws.onerror = () => {};
        try {
          ws.close();
        } catch (error) {
          /* already closed */
        }
      }
    }

    clearRetry() {
      clearTimeout(this.retryTimer);
      clearInterval(this.countdown);
      this.retryTimer = this.countdown = null;
    }

    closed(code) {
      this.ws = null;
      this.ready = false;
      this.failPending("lost");
      if (this.stopped) return;
      if (code === NOT_SIGNED_IN) {
        this.stopped = true;
        this.handlers.onSignedOut();
        return;
      }
      if (code === NOT_ALLOWED) {
        this.stopped = true;
        this.handlers.onRefused();
        return;
      }
      this.retry();
    }

    retry() {
      const ceiling = Math.min(
        config.reconnectMaxMs,
        config.reconnectFirstMs * 2 ** Math.min(this.attempt, 16),
      );
      const delay = ceiling / 2 + (Math.random() * ceiling) / 2;
      this.attempt += 1;
      const due = Date.now() + delay;
      const tell = () => {
        const seconds = Math.max(0, Math.ceil((due - Date.now()) / 1000));
        this.handlers.onState("reconnecting", seconds);
      };
      tell();
      this.countdown = setInterval(tell, 1000);
      this.retryTimer = setTimeout(() => this.connectNow(), delay);
    }

    /** A connection that has heard nothing for `silenceMs` is dead, even if the browser still
     * thinks it is open (a tunnel, a proxy that swallowed the close). */
    checkAlive(now = false) {
      if (this.stopped || !this.ws) return;
      const limit = now ? config.silenceMs * 0.6 : config.silenceMs;
      if (Date.now() - this.lastHeard > limit) {
        this.drop();
        this.failPending("lost");
        this.retry();
      }
    }

    send(message) {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
      this.ws.send(JSON.stringify(message));
      return true;
    }

    receive(text) {
      this.lastHeard = Date.now();
      let frame;
      try {
        frame = JSON.parse(text);
      } catch (error) {
        return;
      }
      switch (frame.type) {
        case "police.hello":
          this.ready = true;
          this.attempt = 0;
          this.handlers.onState("connected");
          this.handlers.onHello(frame);
          return;
        case "ping":
          this.send({ type: "pong" });
          return;
        case "police.result":
          this.settle(frame);
          return;
        case "police.error":
          return; // a refused message of ours; nothing the officer can act on
        default:
          if (this.ready) this.handlers.onFrame(frame);
      }
    }

    /** Send an action ("position", "transition"); resolves with its data, rejects with
     * {code, message, fields} ("offline" when there is no socket, "timeout", "lost"). */
    request(type, fields) {
      return new Promise((resolve, reject) => {
        if (!this.connected) {
          reject({ code: "offline" });
          return;
        }
        const requestId = "r" + this.nextRequest++;
        const timer = setTimeout(() => {
          this.pending.delete(requestId);
          reject({ code: "timeout" });
        }, config.actionTimeoutMs);
        this.pending.set(requestId, { resolve, reject, timer });
        this.send({ type, request_id: requestId, ...fields });
      });
    }

    settle(frame) {
      const waiting = this.pending.get(frame.request_id);
      if (!waiting) return;
      this.pending.delete(frame.request_id);
      clearTimeout(waiting.timer);
      if (frame.ok) waiting.resolve(frame.data);
      else waiting.reject(frame.error || { code: "unknown" });
    }

    failPending(code) {
      for (const [, waiting] of this.pending) {
        clearTimeout(waiting.timer);
        waiting.reject({ code });
      }
      this.pending.clear();
    }
  }

  window.VigiePolice.PoliceSocket = PoliceSocket;
})();
