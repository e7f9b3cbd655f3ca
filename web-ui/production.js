// The header's production figures: the work order's progress and the
// shift's units, first-pass yield and units per hour, as jigd computes
// them from its database (GET /api/v1/station, `production`).

function show(id, text, cls) {
  const e = document.getElementById(id);
  e.textContent = text;
  e.className = cls || "";
}

export function showProduction(p) {
  if (!p) {
    show("work-order", "");
    show("shift", "production figures unavailable (station database)", "muted");
    return;
  }
  const wo = p.work_order;
  if (wo)
    show("work-order", `order ${wo.id}: ${wo.done} / ${wo.quantity} done · ${wo.failed} failed` +
         (wo.complete ? " · COMPLETE" : ""), wo.complete ? "complete" : "");
  else show("work-order", "no work order", "muted");
  const s = p.shift;
  const fpy = s.first_pass_yield === null ? "–" : `${s.first_pass_yield.toFixed(1)} %`;
  const since = new Date(s.since).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });
  show("shift", `shift since ${since} · ${s.units} units · ` +
       `first pass ${fpy} · ${p.units_per_hour} units/h`);
}
