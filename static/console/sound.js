/* Vigie operator console: the alarm for critical reports nobody has acknowledged yet.
 *
 * The tone is made with the Web Audio API (no sound file). Browsers keep audio blocked until
 * the person has interacted with the page, so the context is only created on a click or a key
 * press; until then the header button says "enable sound".
 */
(function () {
  "use strict";

  const { t } = window.Vigie;
  const REPEAT_MS = 2500;

  class Alarm {
    constructor(button) {
      this.button = button;
      this.context = null;
      this.state = "blocked"; // blocked | on | muted
      this.active = false;
      this.timer = null;
      button.addEventListener("click", () => this.toggle());
      // Any interaction with the page counts as the gesture that lets sound play.
      const unlockOnGesture = () => {
        if (this.state === "blocked") this.unlock();
      };
      document.addEventListener("pointerdown", unlockOnGesture, true);
      document.addEventListener("keydown", unlockOnGesture, true);
      this.render();
    }

    unlock() {
      const AudioContext = window.AudioContext || window.webkitAudioContext;
      if (!AudioContext) return;
      if (!this.context) this.context = new AudioContext();
      this.context.resume().then(
        () => {
          if (this.context.state === "running" && this.state === "blocked") {
            this.state = "on";
            this.render();
            this.schedule();
          }
        },
        () => {},
      );
    }

    toggle() {
      if (this.state === "blocked") {
        this.unlock();
        return;
      }
      this.state = this.state === "on" ? "muted" : "on";
      this.render();
      this.schedule();
    }

    /** Whether some critical report is waiting: the tone repeats while it is. */
    setActive(active) {
      if (active === this.active) return;
      this.active = active;
      this.schedule();
    }

    schedule() {
      const ring = this.active && this.state === "on";
      this.button.dataset.alarm = this.active ? "ringing" : "quiet";
      if (ring && !this.timer) {
        this.beep();
        this.timer = setInterval(() => this.beep(), REPEAT_MS);
      } else if (!ring && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    }

    /** Two short falling tones, soft attack and release so that it does not click. */
    beep() {
      const context = this.context;
      if (!context || context.state !== "running") return;
      const start = context.currentTime + 0.02;
      [880, 660].forEach((frequency, index) => {
        const at = start + index * 0.22;
        const oscillator = context.createOscillator();
        const gain = context.createGain();
        oscillator.type = "sine";
        oscillator.frequency.value = frequency;
        gain.gain.setValueAtTime(0.0001, at);
        gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.18);
        oscillator.connect(gain).connect(context.destination);
        oscillator.start(at);
        oscillator.stop(at + 0.2);
      });
    }

    render() {
      this.button.dataset.state = this.state;
      this.button.textContent = t("sound." + this.state);
      this.button.title = this.state === "blocked" ? t("sound.blocked.title") : "";
      this.button.setAttribute("aria-pressed", this.state === "on" ? "true" : "false");
    }
  }

  window.Vigie.Alarm = Alarm;
})();
