// A small MCP server (the SDK's streamable HTTP transport, stateless) for
// t/test_mcp_sdk.py: one tool, "whoami", answering the user nginx's
// oauth_require put in X-User. Usage: node server.mjs PORT
import http from "node:http";

import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";

const port = Number(process.argv[2]);

function build() {
    const server = new McpServer({ name: "nginx-oauth-test", version: "1.0.0" });
    server.registerTool("whoami", { description: "the signed-in user, as nginx saw it" },
        async (extra) => ({
            content: [{ type: "text", text: String(extra?.requestInfo?.headers?.["x-user"] ?? "") }],
        }));
    return server;
}

http.createServer(async (req, res) => {
    if (req.url === "/notes/") {
        res.end("notes");
        return;
    }
    let body = "";
    for await (const chunk of req) body += chunk;
    const server = build();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on("close", () => { transport.close(); server.close(); });
    await server.connect(transport);
    await transport.handleRequest(req, res, body ? JSON.parse(body) : undefined);
}).listen(port, "127.0.0.1", () => console.log("listening"));
