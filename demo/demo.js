// The demo app of the quickstart: a public OAuth client in the browser.
// Sign-in is the authorization code flow with PKCE (RFC 7636) and a nonce;
// the endpoints come from discovery. Tokens live in sessionStorage so they
// survive the redirects of sign-in but not the tab: fine for a demo, while
// a real app would rather keep them in memory or behind its own backend.
"use strict";

const CLIENT_ID = "demo-app";
const SCOPE = "openid profile email orders:read";
const REDIRECT_URI = location.origin + "/callback";
const AFTER_LOGOUT = location.origin + "/demo/";
const API = "/api/orders";

const $ = (id) => document.getElementById(id);
const stored = (key) => JSON.parse(sessionStorage.getItem(key) || "null");
const store = (key, value) => sessionStorage.setItem(key, JSON.stringify(value));

function base64url(bytes) {
    let s = "";
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomString(bytes) {
    return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

async function s256(verifier) {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
    return base64url(new Uint8Array(digest));
}

// The payload of a JWT, for display only: the page trusts these tokens
// because it got them straight from the token endpoint, not by checking them.
function claimsOf(jwt) {
    const b64 = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
}

function log(text) {
    const li = document.createElement("li");
    li.textContent = text;
    $("log").append(li);
}

function fail(err) {
    $("error").textContent = String(err.message || err);
    $("error").hidden = false;
    log("error: " + $("error").textContent);
}

let config;   // the discovery document
async function discover() {
    const r = await fetch("/.well-known/openid-configuration");
    if (!r.ok) throw new Error("discovery answered " + r.status);
    config = await r.json();
}

async function post(url, form) {
    const r = await fetch(url, { method: "POST", body: new URLSearchParams(form) });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
}

async function tokenRequest(form, what) {
    const r = await post(config.token_endpoint, { client_id: CLIENT_ID, ...form });
    if (r.status !== 200)
        throw new Error(`${what}: ${r.status} ${r.body.error}: ${r.body.error_description || ""}`);
    log(`${what}: 200, ${Object.keys(r.body).join(", ")}`);
    return r.body;
}

async function signIn() {
    // crypto.subtle exists only in a secure context: https, or a loopback
    // address such as http://127.0.0.1 (the quickstart's).
    if (!crypto.subtle) throw new Error("PKCE needs a secure context: open " + AFTER_LOGOUT);
    const pending = { state: randomString(16), nonce: randomString(16), verifier: randomString(32) };
    store("demo.pending", pending);
    const q = new URLSearchParams({
        response_type: "code", client_id: CLIENT_ID, redirect_uri: REDIRECT_URI,
        scope: SCOPE, state: pending.state, nonce: pending.nonce,
        code_challenge: await s256(pending.verifier), code_challenge_method: "S256",
    });
    location.assign(config.authorization_endpoint + "?" + q);
}

// Back at the redirect URI: check state and iss (RFC 9207), then exchange
// the code with the verifier only this tab knows.
async function finishSignIn(params) {
    const pending = stored("demo.pending");
    sessionStorage.removeItem("demo.pending");
    history.replaceState(null, "", "/demo/");   // the code leaves the address bar
    if (params.has("error"))
        throw new Error(`sign-in ended with ${params.get("error")}: ${params.get("error_description") || ""}`);
    if (!pending)
        throw new Error(`the code ${params.get("code")} was not asked for by this page: ` +
                        "sign in with the button (or exchange it with curl, make run's step 5)");
    if (params.get("state") !== pending.state) throw new Error("state does not match: not our sign-in");
    if (params.get("iss") !== config.issuer) throw new Error("iss is not " + config.issuer);
    log("redirected back with a code, state and iss as expected");
    const tokens = await tokenRequest({
        grant_type: "authorization_code", code: params.get("code"),
        redirect_uri: REDIRECT_URI, code_verifier: pending.verifier,
    }, "code exchanged");
    if (claimsOf(tokens.id_token).nonce !== pending.nonce) throw new Error("the ID token's nonce is not ours");
    store("demo.tokens", tokens);
}

async function callApi() {
    const tokens = stored("demo.tokens");
    const r = await fetch(API, { headers: { Authorization: "Bearer " + tokens.access_token } });
    const challenge = r.headers.get("WWW-Authenticate");
    $("api-result").textContent = `${r.status} ${r.statusText}\n` +
        (challenge ? `WWW-Authenticate: ${challenge}\n` : "") + "\n" + await r.text();
    log(`GET ${API} with the access token: ${r.status}`);
}

async function refresh() {
    const old = stored("demo.tokens");
    const tokens = await tokenRequest({ grant_type: "refresh_token", refresh_token: old.refresh_token },
                                      "tokens refreshed");
    store("demo.tokens", { id_token: old.id_token, ...tokens });
    show();
}

// Revoking the access token deletes its session in Redis: the very next
// API call is refused, though the JWT itself has not expired.
async function revoke() {
    const tokens = stored("demo.tokens");
    const r = await post(config.revocation_endpoint, { client_id: CLIENT_ID, token: tokens.access_token });
    log(`access token revoked: ${r.status}`);
    $("revoke").disabled = true;
    await callApi();
}

// Ends this app's grant (the refresh token revokes its whole family), then
// the browser's session at the server (RP-initiated logout).
async function signOut() {
    const tokens = stored("demo.tokens");
    await post(config.revocation_endpoint, { client_id: CLIENT_ID, token: tokens.refresh_token });
    sessionStorage.removeItem("demo.tokens");
    const state = randomString(16);
    store("demo.logout", state);
    location.assign(config.end_session_endpoint + "?" + new URLSearchParams({
        id_token_hint: tokens.id_token, post_logout_redirect_uri: AFTER_LOGOUT, state,
    }));
}

function show() {
    const tokens = stored("demo.tokens");
    for (const id of ["call-api", "refresh", "revoke", "signout"]) $(id).disabled = !tokens;
    $("signin").disabled = !!tokens;
    if (!tokens) {
        $("status").textContent = "Not signed in.";
        return;
    }
    const id = claimsOf(tokens.id_token);
    $("status").textContent = `Signed in as ${id.name || id.sub}.`;
    $("id-claims").textContent = JSON.stringify(id, null, 2);
    $("access-claims").textContent = JSON.stringify(claimsOf(tokens.access_token), null, 2);
}

function on(id, action) {
    $(id).addEventListener("click", () => action().catch(fail));
}

async function main() {
    on("signin", signIn);
    on("call-api", callApi);
    on("refresh", refresh);
    on("revoke", revoke);
    on("signout", signOut);
    try {
        await discover();
        const params = new URLSearchParams(location.search);
        if (params.has("code") || params.has("error")) {
            await finishSignIn(params);
        } else if (params.has("state") && params.get("state") === stored("demo.logout")) {
            sessionStorage.removeItem("demo.logout");
            history.replaceState(null, "", "/demo/");
            log("signed out at the server");
        }
    } finally {
        show();
    }
}

main().catch(fail);
