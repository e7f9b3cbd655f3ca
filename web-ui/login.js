// Who the page is: on a station with API tokens it asks for one once, and
// shows only the buttons the token's role may press (a viewer sees
// everything and can press nothing; docs/api.md, "Roles").
import { ApiError, getJson, setToken } from "./api.js";

const dialog = () => document.getElementById("login");

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
  document.getElementById("who").textContent = `${me.actor} (${me.role})`;
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
