// The smallest MCP server over stdio (no dependencies): what the bench starts behind the proxy, so that the proxy's own start-up is what it measures.
let buffer = "";
const send = (message) => process.stdout.write(JSON.stringify({ jsonrpc: "2.0", ...message }) + "\n");
const tools = [{ name: "echo", description: "Echoes its text", inputSchema: { type: "object", properties: { text: { type: "string" } } } }];
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  buffer += chunk;
  for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
    const line = buffer.slice(0, nl);
    buffer = buffer.slice(nl + 1);
    if (line.trim() === "") continue;
    const message = JSON.parse(line);
    if (message.id === undefined) continue;
    if (message.method === "initialize") {
      send({ id: message.id, result: { protocolVersion: message.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: "minimal", version: "1.0.0" } } });
    } else if (message.method === "tools/list") {
      send({ id: message.id, result: { tools } });
    } else if (message.method === "tools/call") {
      send({ id: message.id, result: { content: [{ type: "text", text: String(message.params?.arguments?.text ?? "") }] } });
    } else {
      send({ id: message.id, error: { code: -32601, message: `no method ${message.method}` } });
    }
  }
});
process.stdin.on("end", () => process.exit(0));
