/* Vigie operator console: the WebSocket to /ws/console/ (live/consumers.py).
 *
 * Keeps the last `seq` applied per centre, so that each event is applied once and in order:
 * an event at or below it is dropped, a jump asks the server to replay what is missing. A
 * connection silent for `silenceMs` (the server pings every 15 s) is taken for dead; any lost
 * connection is opened again by itself, with `?since=` so that the server replays what was
 * missed meanwhile, after a growing, capped, jittered delay. Actions travel on the same socket
 * and their replies are matched by `request_id`.
 */
(function () {
  "use strict";

  const { config } = window.Vigie;

  // Close codes sent by the server (live/consumers.py).
  const NOT_SIGNED_IN = 4401;
  const NOT_ALLOWED = 4403;
  const BAD_SINCE = 4400;
  const ACTION_TIMEOUT_MS = 15000;
  const REPLAY_AGAIN_MS = 5000;

  class ConsoleSocket {
    /** handlers: onHello({user, centres, resync}), onEvent(frame), onState(state, detail),
     * onSignedOut(), onRefused(). */
    constructor(handlers) {
      this.handlers = handlers;
      this.positions = new Map(); // centre id -> last seq applied
      this.replayAsked = new Map(); // centre id -> when a replay was last asked
      this.pending = new Map(); // request_id -> {resolve, reject, timer}
      this.ws = null;
      this.attempt = 0;
      this.retryTimer = null;
      this.countdown = null;
      this.stopped = true;
      this.lastHeard = 0;
      this.nextRequest = 1;
      this.watchdog = setInterval(() => this.checkAlive(), 1000);
      window.addEventListener("online", () => {
        if (!this.stopped && this.retryTimer) this.connectNow();
      });
    }

    start() {
      this.stopped = false;
      this.attempt = 0;
      this.positions.clear();
      this.connectNow();
    }

    stop() {
      this.stopped = true;
      this.clearRetry();
      this.drop();
      this.positions.clear();
      this.failPending("lost");
    }

    get connected() {
      return Boolean(this.ws && this.ws.readyState === WebSocket.OPEN && this.ready);
    }

    url() {
      const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
      let url = scheme + "//" + window.location.host + config.socketPath;
      if (this.positions.size) {
        const since = [...this.positions].map(([centre, seq]) => centre + ":" + seq).join(",");
        url += "?since=" + encodeURIComponent(since);
      }
      return url;
    }

    connectNow() {
      this.clearRetry();
      this.drop();
      this.ready = false;
      this.handlers.onState(this.attempt ? "reconnecting" : "connecting");
      const ws = new WebSocket(this.url());
      this.ws = ws;
      this.lastHeard = Date.now();
      ws.onmessage = (event) => {
        if (ws === this.ws) this.receive(event.data);
      };
      ws.onclose = (event) => {
        if (ws === this.ws) this.closed(event.code);
      };
    }

    /** Forget the current socket (its late events are ignored) and close it. */
    drop() {
      const ws = this.ws;
      this.ws = null;
      this.ready = false;
      if (ws) {
        ws.onmessage = ws.onclose = null;
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
      if (code === BAD_SINCE) {
        // Our positions no longer fit what we serve: start afresh (a new snapshot follows).
        this.positions.clear();
      }
      this.retry();
    }

    retry() {
      const ceiling = Math.min(
        config.reconnectMaxMs,
        config.reconnectFirstMs * 2 ** Math.min(this.attempt, 16),
      );
      const delay = ceiling / 2 + (Math.random() * ceiling) / 2; // jitter: consoles spread out
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
     * thinks it is open (a cable pulled, a proxy that swallowed the close). */
    checkAlive() {
      if (this.stopped || !this.ws) return;
      if (Date.now() - this.lastHeard > config.silenceMs) {
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
        case "console.hello":
          this.hello(frame);
          return;
        case "ping":
          this.send({ type: "pong" });
          return;
        case "action.result":
          this.settle(frame);
          return;
        case "console.error":
          return; // a refused message of ours; nothing the operator can act on
        default:
          if (typeof frame.centre === "number" && typeof frame.seq === "number") {
            this.event(frame);
          }
      }
    }

    hello(frame) {
      const known = new Set(this.positions.keys());
      const served = frame.centres.map((centre) => centre.id);
      // A fresh start, a change in the centres served, or a server whose log is behind what
      // we hold (a restored database): the snapshot is read again and positions restart.
      const resync =
        known.size === 0 ||
        served.length !== known.size ||
        frame.centres.some((c) => !known.has(c.id) || c.seq < this.positions.get(c.id));
      if (resync) {
        this.positions = new Map(frame.centres.map((c) => [c.id, c.seq]));
      }
      this.replayAsked.clear();
      this.attempt = 0;
      this.ready = true;
      this.handlers.onState("connected");
      this.handlers.onHello({ user: frame.user, centres: frame.centres, resync });
    }

    event(frame) {
      const last = this.positions.get(frame.centre);
      if (last === undefined || frame.seq <= last) return; // not ours, or already applied
      if (frame.seq > last + 1) {
        // A gap: ask for everything after what we hold; the missing events and this one come
        // again, in order.
        const asked = this.replayAsked.get(frame.centre) || 0;
        if (Date.now() - asked > REPLAY_AGAIN_MS) {
          this.replayAsked.set(frame.centre, Date.now());
          this.send({ type: "replay", since: { [frame.centre]: last } });
        }
        return;
      }
      this.positions.set(frame.centre, frame.seq);
      this.replayAsked.delete(frame.centre);
      this.handlers.onEvent(frame);
    }

    /** Send an action; resolves with its data, rejects with {code, message, fields}. */
    action(name, fields) {
      return new Promise((resolve, reject) => {
        const requestId = "a" + this.nextRequest++;
        if (!this.connected) {
          reject({ code: "offline" });
          return;
        }
        const timer = setTimeout(() => {
          this.pending.delete(requestId);
          reject({ code: "timeout" });
        }, ACTION_TIMEOUT_MS);
        this.pending.set(requestId, { resolve, reject, timer });
        this.send({ type: "action", action: name, request_id: requestId, ...fields });
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

  window.Vigie.ConsoleSocket = ConsoleSocket;
})();
