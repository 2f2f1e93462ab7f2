/**
 * `npm run example:mcp`: the MCP example against `npm start` (same `PORT` and `DEMO_IDP_PORT`):
 * serves the tickets and billing MCP servers at `PORT`+2 and `PORT`+3 and runs the story.
 */
import { startServers } from './servers.js';
import { runStory } from './story.js';

const port = Number(process.env.PORT ?? 8080);
const idpPort = Number(process.env.DEMO_IDP_PORT ?? port + 1);
const servers = await startServers(port);
try {
  await runStory({ port, idpPort, servers, out: (l) => console.log(l) });
} finally {
  await servers.close();
}
