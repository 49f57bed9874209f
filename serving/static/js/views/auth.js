// Sign up and log in.
import { api, session } from "../api.js";
import { errorText, h } from "../ui.js";

export const title = "Sign in";
let signedIn = async () => {};
export function onSignedIn(fn) { signedIn = fn }

async function login(email, password) {
  session.save(await api("/auth/login", { method: "POST", json: { email, password } }));
  await signedIn();
}

function form(kind) {
  const error = h("p", { class: "error", role: "alert" });
  const email = h("input", { id: `${kind}-email`, type: "email", name: "email", autocomplete: "email", required: true });
  const password = h("input", { id: `${kind}-password`, type: "password", name: "password", minlength: kind === "register" ? 8 : null,
    autocomplete: kind === "register" ? "new-password" : "current-password", required: true });
  const submit = h("button", { type: "submit" }, kind === "register" ? "Create account" : "Log in");
  return h("form", { "aria-label": kind === "register" ? "Sign up" : "Log in", onsubmit: async (e) => {
    e.preventDefault(); error.textContent = ""; submit.disabled = true;
    try {
      if (kind === "register") await api("/auth/register", { method: "POST", json: { email: email.value, password: password.value } });
      await login(email.value, password.value);
    } catch (err) { error.textContent = errorText(err) } finally { submit.disabled = false }
  } },
  h("label", { class: "field", for: `${kind}-email` }, "Email", email),
  h("label", { class: "field", for: `${kind}-password` }, kind === "register" ? "Password (8+ characters)" : "Password", password),
  submit, error);
}

export async function render() {
  const tabs = { login: form("login"), register: form("register") };
  const wrap = h("div", {}, tabs.login);
  const pick = (k) => {
    wrap.replaceChildren(tabs[k]);
    for (const b of seg.children) b.setAttribute("aria-pressed", String(b.dataset.k === k));
    tabs[k].querySelector("input").focus();
  };
  const seg = h("div", { class: "seg", role: "group", "aria-label": "Choose" },
    h("button", { type: "button", "data-k": "login", "aria-pressed": "true", onclick: () => pick("login") }, "Log in"),
    h("button", { type: "button", "data-k": "register", "aria-pressed": "false", onclick: () => pick("register") }, "Sign up"));
  return h("section", { class: "panel auth" }, h("h1", {}, "crypto-risk"),
    h("p", { class: "sub" }, "Portfolio value, risk and alerts for your crypto, live."), seg, wrap);
}
