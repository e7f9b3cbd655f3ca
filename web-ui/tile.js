// One slot's tile: its state by colour and by word (for colour-blind
// operators), phase, progress, the board on it, its last result, the
// failure's cause and advice or the slot's alarm, and its buttons.
// The tile is built once and updated in place, so a button being pressed
// is not thrown away by the next event.
import * as fmt from "./format.js";
import { el } from "./dom.js";
import { post } from "./api.js";
import { LabelPreview } from "./label_preview.js";

// The words of docs/operator.md's table (house/operator_words holds them equal).
const STATE_WORDS = {
  disabled: "OFF", "no-port": "NO ADAPTER", idle: "READY", armed: "WAITING",
  running: "FLASHING", passed: "PASS", failed: "FAIL", unrecorded: "HOLD",
};

function field(parent, label) {
  const row = el("div", "field");
  row.append(el("span", "label", label));
  const value = el("span", "value", "–");
  row.append(value);
  parent.append(row);
  return value;
}

export class Tile {
  constructor(slotNumber, onChanged, onChosen) {
    this.slot = slotNumber;
    this.onChanged = onChanged;          // asks for the slot to be read again
    this.root = el("article", "tile state-unknown");
    this.root.dataset.slot = String(slotNumber);
    const head = el("div", "tile-head");
    head.append(el("span", "slot-number", String(slotNumber)));
    this.stateWord = el("span", "state-word", "…");
    head.append(this.stateWord);
    this.root.append(head);
    // A tap on the tile (not on a button): the next scanned label is for this slot.
    this.root.addEventListener("click", (e) => {
      if (!(e.target instanceof Element && e.target.closest("button"))) onChosen(this.slot);
    });
    this.scanPrompt = el("div", "scan-prompt", "");
    this.scanPrompt.hidden = true;
    this.root.append(this.scanPrompt);
    this.phase = el("div", "phase", "");
    this.root.append(this.phase);
    const bar = el("div", "bar");
    this.barFill = el("div", "bar-fill");
    bar.append(this.barFill);
    this.root.append(bar);
    this.progress = el("div", "progress-text", "");
    this.root.append(this.progress);
    const facts = el("div", "facts");
    this.chip = field(facts, "chip");
    this.mac = field(facts, "MAC");
    this.serial = field(facts, "serial");
    this.code = field(facts, "board code");
    this.last = field(facts, "last");
    this.root.append(facts);
    this.problem = el("div", "problem");
    this.problem.hidden = true;
    this.root.append(this.problem);
    const buttons = el("div", "buttons");
    this.identifyButton = this.button(buttons, "Identify", "identify");
    this.startButton = this.button(buttons, "Start", "start");
    this.abortButton = this.button(buttons, "Abort", "abort");
    this.root.append(buttons);
    this.answer = el("div", "answer", "");
    this.answer.setAttribute("role", "status");
    this.root.append(this.answer);
    this.labelPreview = new LabelPreview(this.root);     // [label]: the last label
    this.rate = 0;
  }

  button(parent, label, action) {
    const b = el("button", `action action-${action}`, label);
    b.type = "button";
    b.addEventListener("click", () => this.act(b, label, action));
    parent.append(b);
    return b;
  }

  /** Presses a button: it says at once that it was heard, then what jigd
   *  answered, in jigd's own words when it refused. */
  async act(button, label, action) {
    button.disabled = true;
    button.classList.add("pressed");
    this.say(`${label}: sent…`, "pending");
    try {
      const r = await post(`/api/v1/slots/${this.slot}/${action}`);
      if (r.ok) this.say(`${label}: ${r.body.result === "accepted" ? "accepted" : "done"}`, "ok");
      else this.say(`${label} refused: ${r.body.error || `HTTP ${r.status}`}` +
                    (r.body.hint ? ` — ${r.body.hint}` : ""), "refused");
    } catch {
      this.say(`${label}: no answer from the station`, "refused");
    } finally {
      button.disabled = false;
      button.classList.remove("pressed");
      this.onChanged(this.slot);
    }
  }

  say(text, kind) {
    this.answer.textContent = text;
    this.answer.className = `answer answer-${kind}`;
  }

  /** The slot as GET /api/v1/slots/{n} gives it. */
  update(s) {
    const state = s.state || "unknown";
    this.root.className = `tile state-${state}${s.identifying ? " identifying" : ""}`;
    this.root.dataset.state = state;
    this.stateWord.textContent = STATE_WORDS[state] || state.toUpperCase();
    this.phase.textContent = s.phase ? `phase: ${s.phase}` : (s.identifying ? "blinking LED" : "");
    if (s.rate) this.rate = s.rate;
    this.showProgress(s.bytes_done || 0, s.bytes_total || 0, state === "running" ? this.rate : 0);
    const c = s.chip;
    this.chip.textContent = c ? `${c.name}${c.revision ? ` ${c.revision}` : ""}` : "–";
    this.mac.textContent = s.mac || "–";
    this.serial.textContent = s.serial || "–";
    this.code.textContent = s.board_code || "–";
    this.showScan(s.scan);
    this.last.textContent = s.last_result ? s.last_result.toUpperCase() : "–";
    this.showProblem(s.error, s.alarm);
    this.startButton.hidden = s.trigger !== "manual";
    this.labelPreview.update(s);
  }

  /** The label scan for the next board: held for one (SCAN LABEL), or the
   *  code waiting for the board. */
  showScan(scan) {
    const need = scan && scan.need !== "none";
    const text = !need ? "" : scan.pending ? `label ${scan.pending} scanned: next board`
      : scan.board_waiting ? "SCAN LABEL" : "";
    this.scanPrompt.textContent = text;
    this.scanPrompt.hidden = !text;
    this.scanPrompt.classList.toggle("scan-wanted", Boolean(need && scan.board_waiting && !scan.pending));
  }

  /** A progress event: the bar moves without waiting for the slot's JSON. */
  progressEvent(e) {
    if (e.rate) this.rate = e.rate;
    if (e.phase) this.phase.textContent = `phase: ${e.phase}`;
    this.showProgress(e.bytes_done || 0, e.bytes_total || 0, this.rate);
  }

  showProgress(done, total, rate) {
    const pct = total > 0 ? Math.min(100, (100 * done) / total) : 0;
    this.barFill.style.width = `${pct}%`;
    const parts = total > 0 ? [`${fmt.bytes(done)} / ${fmt.bytes(total)}`] : [];
    if (rate) parts.push(fmt.rate(rate), fmt.timeLeft(done, total, rate));
    this.progress.textContent = parts.filter(Boolean).join(" · ");
  }

  /** A failure of the board (error) or what keeps the slot from going on
   *  (alarm): the cause in plain words and what to do. */
  showProblem(error, alarm) {
    const p = error || alarm;
    this.problem.hidden = !p;
    this.problem.replaceChildren();
    if (!p) return;
    this.problem.className = `problem ${error ? "problem-error" : "problem-alarm"}`;
    const cause = error && error.phase ? `${error.phase}: ${p.cause}` : p.cause;
    this.problem.append(el("div", "cause", cause || ""));
    if (p.advice) this.problem.append(el("div", "advice", `→ ${p.advice}`));
  }
}
