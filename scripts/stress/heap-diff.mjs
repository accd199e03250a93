// `node scripts/stress/heap-diff.mjs <before.heapsnapshot> <after.heapsnapshot> [--top N] [--paths K]`: what
// is alive in the second heap snapshot that was not in the first, by constructor. Both snapshots must come from
// one process (V8 keeps an object's snapshot ID for its life), as `npm run stress:endurance -- --heap-snapshots
// <dir>` writes them. First the net change per constructor (count and self size: what was replaced, such as
// recompiled code, cancels out), then the objects of the second whose ID the first does not have (allocated in
// between and alive); for the top of those, the shortest path from the GC roots that keeps a few of them alive
// (strong edges only), which names the map, listener or closure that holds them.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: "string", default: "25" }, paths: { type: "string", default: "2" } },
});
if (positionals.length !== 2) {
  console.error(
    "usage: node scripts/stress/heap-diff.mjs <before.heapsnapshot> <after.heapsnapshot> [--top N]",
  );
  process.exit(2);
}

/** The parts of a .heapsnapshot (V8's JSON format) this script reads, with the edges turned around. */
function load(file) {
  const raw = JSON.parse(readFileSync(file, "utf8"));
  const meta = raw.snapshot.meta;
  const nodeFields = meta.node_fields;
  const edgeFields = meta.edge_fields;
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const nf = nodeFields.length;
  const ef = edgeFields.length;
  const at = (name, fields) => fields.indexOf(name);
  const [nType, nName, nId, nSize, nEdges] = ["type", "name", "id", "self_size", "edge_count"].map((f) =>
    at(f, nodeFields),
  );
  const [eType, eName, eTo] = ["type", "name_or_index", "to_node"].map((f) => at(f, edgeFields));
  const nodes = raw.nodes;
  const edges = raw.edges;
  const strings = raw.strings;
  const count = nodes.length / nf;
  const firstEdge = new Uint32Array(count + 1);
  for (let i = 0, e = 0; i < count; i++) {
    firstEdge[i] = e;
    e += nodes[i * nf + nEdges];
    firstEdge[i + 1] = e;
  }
  // Reverse edges (strong ones only: weak edges and the snapshot's own bookkeeping keep nothing alive).
  const retainerCount = new Uint32Array(count + 1);
  const skip = (type) => type === "weak" || type === "shortcut";
  for (let i = 0; i < count; i++) {
    for (let e = firstEdge[i]; e < firstEdge[i + 1]; e++) {
      if (skip(edgeTypes[edges[e * ef + eType]])) continue;
      retainerCount[edges[e * ef + eTo] / nf]++;
    }
  }
  const retainerStart = new Uint32Array(count + 1);
  for (let i = 0; i < count; i++) retainerStart[i + 1] = retainerStart[i] + retainerCount[i];
  const fill = retainerStart.slice();
  const retainerNode = new Uint32Array(retainerStart[count]);
  const retainerEdge = new Uint32Array(retainerStart[count]);
  for (let i = 0; i < count; i++) {
    for (let e = firstEdge[i]; e < firstEdge[i + 1]; e++) {
      if (skip(edgeTypes[edges[e * ef + eType]])) continue;
      const to = edges[e * ef + eTo] / nf;
      retainerNode[fill[to]] = i;
      retainerEdge[fill[to]++] = e;
    }
  }
  const node = (i) => ({
    type: nodeTypes[nodes[i * nf + nType]],
    name: strings[nodes[i * nf + nName]],
    id: nodes[i * nf + nId],
    size: nodes[i * nf + nSize],
  });
  const edgeLabel = (e) => {
    const type = edgeTypes[edges[e * ef + eType]];
    const name = edges[e * ef + eName];
    return type === "element" || type === "hidden" ? `[${name}]` : String(strings[name]);
  };
  return { count, node, firstEdge, retainerStart, retainerNode, retainerEdge, edgeLabel };
}

const key = (n) =>
  `${n.type === "object" || n.type === "closure" ? "" : `(${n.type}) `}${n.name.slice(0, 80)}`;

/** Shortest chain of strong retainers from the snapshot's root (node 0) down to `target`. */
function pathFromRoot(heap, target) {
  const previous = new Int32Array(heap.count).fill(-1);
  const via = new Int32Array(heap.count).fill(-1);
  previous[target] = target;
  const queue = [target];
  for (let q = 0; q < queue.length; q++) {
    const i = queue[q];
    if (i === 0) break;
    for (let r = heap.retainerStart[i]; r < heap.retainerStart[i + 1]; r++) {
      const from = heap.retainerNode[r];
      if (previous[from] !== -1) continue;
      previous[from] = i;
      via[from] = heap.retainerEdge[r];
      queue.push(from);
    }
  }
  if (previous[0] === -1) return "(no strong path from the roots)";
  const steps = [];
  for (let i = 0; i !== target; i = previous[i]) {
    const n = heap.node(i);
    steps.push(`${key(n)} .${heap.edgeLabel(via[i])}`);
  }
  return steps.slice(1).join(" -> ");
}

/** Count and self size of every constructor in one snapshot. */
function byConstructor(heap) {
  const groups = new Map();
  for (let i = 0; i < heap.count; i++) {
    const n = heap.node(i);
    const g = groups.get(key(n)) ?? { count: 0, size: 0 };
    g.count++;
    g.size += n.size;
    groups.set(key(n), g);
  }
  return groups;
}

const before = load(positionals[0]);
const beforeIds = new Set();
for (let i = 0; i < before.count; i++) beforeIds.add(before.node(i).id);
const after = load(positionals[1]);

// What grew, net: objects that were replaced (code recompiled, a cache entry renewed) cancel out here.
const [countsBefore, countsAfter] = [byConstructor(before), byConstructor(after)];
const net = [...countsAfter].map(([k, a]) => {
  const b = countsBefore.get(k) ?? { count: 0, size: 0 };
  return { k, count: a.count - b.count, size: a.size - b.size };
});
for (const [k, b] of countsBefore) if (!countsAfter.has(k)) net.push({ k, count: -b.count, size: -b.size });
const netTotal = net.reduce((sum, g) => sum + g.size, 0);
console.log(`net change of the self sizes: ${(netTotal / 1024).toFixed(0)} KiB; the largest changes:`);
console.log(`${"KiB".padStart(8)} ${"count".padStart(7)}  constructor`);
for (const g of net.sort((a, b) => Math.abs(b.size) - Math.abs(a.size)).slice(0, Number(values.top)))
  console.log(`${(g.size / 1024).toFixed(1).padStart(8)} ${String(g.count).padStart(7)}  ${g.k}`);
console.log("");

const groups = new Map();
for (let i = 0; i < after.count; i++) {
  const n = after.node(i);
  if (beforeIds.has(n.id)) continue;
  const k = key(n);
  const g = groups.get(k) ?? { count: 0, size: 0, samples: [] };
  g.count++;
  g.size += n.size;
  if (g.samples.length < 50) g.samples.push(i);
  groups.set(k, g);
}
const total = [...groups.values()].reduce((sum, g) => sum + g.size, 0);
console.log(`objects alive in the second snapshot and not in the first: ${(total / 1024).toFixed(0)} KiB`);
console.log(`${"KiB".padStart(8)} ${"count".padStart(7)}  constructor`);
const top = [...groups].sort(([, a], [, b]) => b.size - a.size).slice(0, Number(values.top));
for (const [k, g] of top)
  console.log(`${(g.size / 1024).toFixed(1).padStart(8)} ${String(g.count).padStart(7)}  ${k}`);
console.log("\nwhat keeps them alive (a sample per constructor, from the roots down):");
for (const [k, g] of top.slice(0, 12)) {
  console.log(`- ${k}`);
  const seen = new Set();
  for (const i of g.samples) {
    if (seen.size >= Number(values.paths)) break;
    const path = pathFromRoot(after, i);
    const shape = path.replace(/\[\d+\]/g, "[n]");
    if (seen.has(shape)) continue;
    seen.add(shape);
    console.log(`    ${path}`);
  }
}
