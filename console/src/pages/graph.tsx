import { visible } from '../text.js';
import type { TreeNode } from '../types.js';

const W = 230;
const H = 58;
const GAP_X = 70;
const GAP_Y = 22;

interface Placed {
  node: TreeNode;
  x: number;
  y: number;
}

/** Tool name for a tool token's audience; a task token's audience is Baton itself. */
const target = (n: TreeNode, issuer: string) =>
  n.aud === issuer ? 'task token' : `tool ${n.aud.replace(/\/$/, '').split('/').pop() ?? n.aud}`;

/**
 * A task's delegation tree as a graph: the user, then each token by its depth (a hand-off one
 * column further, tool tokens beside the task token they came from), edges labelled, each node
 * coloured and labelled by its state (never colour alone).
 */
export function DelegationGraph({ sub, roots }: { sub: string; roots: TreeNode[] }) {
  const issuer = roots[0]?.aud ?? '';
  const placed: Placed[] = [];
  let row = 0;
  const place = (n: TreeNode, depth: number) => {
    const kids = n.children;
    const start = row;
    for (const c of kids) place(c, depth + 1);
    const y = kids.length ? (start + row - 1) / 2 : row++;
    placed.push({ node: n, x: (depth + 1) * (W + GAP_X), y });
  };
  for (const r of roots) place(r, 0);
  const rows = Math.max(row, 1);
  const at = new Map(placed.map((p) => [p.node.jti, p]));
  const top = (y: number) => 10 + y * (H + GAP_Y);
  const userY = (rows - 1) / 2;
  const width = Math.max(...placed.map((p) => p.x), 0) + W + 20;
  const height = rows * (H + GAP_Y) + 20;
  const edge = (x1: number, y1: number, x2: number, y2: number, label: string, key: string) => (
    <g key={key} class="edge">
      <path
        d={`M${x1 + W} ${top(y1) + H / 2} C${x1 + W + GAP_X / 2} ${top(y1) + H / 2}, ${x2 - GAP_X / 2} ${top(y2) + H / 2}, ${x2} ${top(y2) + H / 2}`}
      />
      <text x={(x1 + W + x2) / 2} y={(top(y1) + top(y2)) / 2 + H / 2 - 6} text-anchor="middle">
        {label}
      </text>
    </g>
  );
  return (
    <svg
      class="graph"
      role="img"
      aria-label={`Delegation tree: ${placed.length} tokens for ${visible(sub)}`}
      viewBox={`0 0 ${width} ${height}`}
      width={width}
      height={height}
    >
      <g class="node user">
        <rect x={10} y={top(userY)} width={W - 10} height={H} rx={8} />
        <text x={20} y={top(userY) + 22}>
          user
        </text>
        <text x={20} y={top(userY) + 42} class="strong">
          {visible(sub)}
        </text>
      </g>
      {placed.map(({ node, x, y }) => {
        const parent = node.parent ? at.get(node.parent) : undefined;
        const handOff = parent && node.act.length > parent.node.act.length;
        return (
          <>
            {parent
              ? edge(
                  parent.x,
                  parent.y,
                  x,
                  y,
                  handOff ? 'hand-off' : node.aud === issuer ? '' : 'tool call',
                  `e${node.jti}`,
                )
              : edge(0, userY, x, y, 'starts task', `e${node.jti}`)}
            <g class={`node ${node.state}`} data-jti={node.jti} data-state={node.state}>
              <title>{`${node.jti}\n${node.aud}\nscope: ${node.scope}\nactors: ${node.act.join(' ← ')}`}</title>
              <rect x={x} y={top(y)} width={W} height={H} rx={8} />
              <text x={x + 10} y={top(y) + 22} class="strong">
                {visible(node.client_id)}
              </text>
              <text x={x + 10} y={top(y) + 42}>
                {visible(target(node, issuer))} · {node.state.replace('_', ' ')}
              </text>
            </g>
          </>
        );
      })}
    </svg>
  );
}
