// Who the page is: on a station with API tokens it asks for one once, and
// shows only the buttons the token's role may press (a viewer sees
// everything and can press nothing; docs/api.md, "Tokens and roles").
import { ApiError, getJson, setToken } from "./api.js";
import { el } from "./dom.js";

/** The token form, made once on whichever page asks. */
function dialog() {
  let form = document.getElementById("login");
  if (form) return form;
  form = el("form", "login");
  form.id = "login";
  form.hidden = true;
  const h = el("h2", null, "This station needs an API token");
  const p = el("p", null, "Type or scan yours (the line engineer makes them: " +
    "jigctl token add NAME --role operator).");
  const input = el("input");
  input.type = "password";
  input.autocomplete = "off";
  input.setAttribute("aria-label", "API token");
  const button = el("button", null, "Use token");
  button.type = "submit";
  const said = el("p", "login-said");
  said.setAttribute("role", "alert");
  form.append(h, p, input, button, said);
  document.body.append(form);
  return form;
}

/** The token's {actor, role}, asking for a token until jigd takes one. */
export async function whoAmI() {
  for (;;) {
    try {
      const me = await getJson("/api/v1/whoami");
      showWho(me);
      return me;
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
      setToken(null);
      await askForToken();
    }
  }
}

function showWho(me) {
  document.body.dataset.role = me.role;
  const who = document.getElementById("who");
  if (who) who.textContent = `${me.actor} (${me.role})`;
}

/** Shows the token form and resolves once the operator has given one. */
function askForToken() {
  const form = dialog();
  const input = form.querySelector("input");
  const said = form.querySelector(".login-said");
  if (form.dataset.tried) said.textContent = "The station did not take that token. Try again.";
  form.hidden = false;
  input.value = "";
  input.focus();
  return new Promise((resolve) => {
    form.onsubmit = (e) => {
      e.preventDefault();
      if (!input.value.trim()) return;
      setToken(input.value.trim());
      form.dataset.tried = "1";
      form.hidden = true;
      resolve();
    };
  });
}
