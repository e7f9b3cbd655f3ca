// Who the page is: on a station with API tokens it asks for one once, and
// shows only the buttons the token's role may press (a viewer sees
// everything and can press nothing; docs/api.md, "Roles").
import { ApiError, getJson, setToken } from "./api.js";

/** The token form, made once on whichever page asks. */
function dialog() {
  let form = document.getElementById("login");
  if (form) return form;
  form = document.createElement("form");
  form.id = "login";
  form.className = "login";
  form.hidden = true;
  const h = document.createElement("h2");
  h.textContent = "This station needs an API token";
  const p = document.createElement("p");
  p.textContent = "Type or scan yours (the line engineer makes them: " +
    "jigctl token add NAME --role operator).";
  const input = document.createElement("input");
  input.type = "password";
  input.autocomplete = "off";
  input.setAttribute("aria-label", "API token");
  const button = document.createElement("button");
  button.type = "submit";
  button.textContent = "Use token";
  const said = document.createElement("p");
  said.className = "login-said";
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
