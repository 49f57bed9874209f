// The /ws client: subscribe with the token, resume with `since` after every drop, back off
// exponentially (with jitter) while the server is away, and report live/reconnecting/offline.
import { refreshTokens, session } from "./api.js";

const CHANNELS = ["price_updates", "portfolio_updates", "risk_metrics_updates", "alerts"];
const MIN_DELAY = 500, MAX_DELAY = 30_000;

export class Live {
  constructor({ onEvent, onState }) {
    this.onEvent = onEvent; this.onState = onState;
    this.seq = null; this.attempt = 0; this.socket = null; this.timer = null; this.stopped = true;
    addEventListener("online", () => this.#retrySoon());
    addEventListener("offline", () => this.#state("offline"));
  }

  start() { if (!this.stopped) return; this.stopped = false; this.attempt = 0; this.#connect() }

  stop() {
    this.stopped = true; clearTimeout(this.timer);
    this.socket?.close(1000); this.socket = null; this.seq = null; this.#state("offline");
  }

  #state(s) { this.state = s; this.onState(s) }

  #connect() {
    if (this.stopped) return;
    if (!navigator.onLine) { this.#state("offline"); return }
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
    const ws = new WebSocket(url);
    this.socket = ws;
    ws.onopen = () => {
      const msg = { op: "subscribe", channels: CHANNELS, token: session.tokens?.access_token };
      if (this.seq !== null) msg.since = this.seq;
      ws.send(JSON.stringify(msg));
    };
    ws.onmessage = (m) => {
      const ev = JSON.parse(m.data);
      if (ev.channel === null) {
        if (ev.type === "subscribed") {
          this.attempt = 0;
          if (this.seq === null) this.seq = ev.seq;
          this.#state("live");
          this.onEvent({ channel: null, type: "subscribed", seq: ev.seq });
        } else if (ev.type === "heartbeat" && ev.seq > (this.seq ?? 0)) this.seq = ev.seq;
        return;
      }
      if (this.seq !== null && ev.seq <= this.seq) return;
      this.seq = ev.seq;
      this.onEvent(ev);
    };
    ws.onclose = async (e) => {
      if (this.socket !== ws) return;
      this.socket = null;
      if (this.stopped) return;
      if (e.code === 4401 && !(await refreshTokens())) { this.stop(); return }
      this.#state(navigator.onLine ? "reconnecting" : "offline");
      const delay = Math.min(MAX_DELAY, MIN_DELAY * 2 ** this.attempt++) * (0.75 + Math.random() / 2);
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.#connect(), delay);
    };
  }

  #retrySoon() {
    if (this.stopped || this.socket) return;
    this.attempt = 0; clearTimeout(this.timer); this.#connect();
  }
}
