// The official MCP TypeScript SDK as an MCP client with its own OAuth flow
// (client/auth.js auth(), driven by the streamable HTTP transport), for
// t/test_mcp_sdk.py. Usage: node client.mjs MCP_URL REDIRECT_URL
//
// The provider keeps everything in memory. When the SDK wants the user at
// the authorization endpoint (redirectToAuthorization), this prints
// {"authorize": URL} and reads the redirect the test's browser landed on
// from stdin; then finishAuth(code), a new connection, one tool call, and
// {"result": ..., "tokens": ..., "client": ...} on stdout.
import readline from "node:readline";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";

const [mcpUrl, redirectUrl] = process.argv.slice(2);
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const say = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");

const state = { client: undefined, tokens: undefined, verifier: undefined, discovery: undefined };
const provider = {
    get redirectUrl() { return redirectUrl; },
    get clientMetadata() {
        return {
            client_name: "MCP SDK test client",
            redirect_uris: [redirectUrl],
            grant_types: ["authorization_code", "refresh_token"],
            response_types: ["code"],
            token_endpoint_auth_method: "none",
        };
    },
    state: () => "sdk-state",
    clientInformation: () => state.client,
    saveClientInformation: (info) => { state.client = info; },
    tokens: () => state.tokens,
    saveTokens: (tokens) => { state.tokens = tokens; },
    redirectToAuthorization: (url) => { say({ authorize: url.href }); },
    saveCodeVerifier: (v) => { state.verifier = v; },
    codeVerifier: () => state.verifier,
    saveDiscoveryState: (s) => { state.discovery = s; },
    discoveryState: () => state.discovery,
};

function transport() {
    return new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider });
}

try {
    const first = transport();
    try {
        await new Client({ name: "sdk-test", version: "1.0.0" }).connect(first);
        throw new Error("connected without signing in");
    } catch (e) {
        if (!(e instanceof UnauthorizedError)) throw e;
    }
    const landed = new URL((await lines.next()).value);
    if (landed.searchParams.get("state") !== "sdk-state") throw new Error("state lost");
    await first.finishAuth(landed.searchParams.get("code"));

    const client = new Client({ name: "sdk-test", version: "1.0.0" });
    await client.connect(transport());
    const result = await client.callTool({ name: "whoami", arguments: {} });
    say({ result, tokens: state.tokens, client: state.client });
    await client.close();
    process.exit(0);
} catch (e) {
    say({ error: String(e && e.stack || e) });
    process.exit(1);
}
