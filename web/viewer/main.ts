/**
 * The web viewer (served by the host at /, bundled by esbuild into /assets/viewer.js): a
 * three.js view of the bodies in the player's interest, coloured by the shard that has
 * authority (statics grey), rotating boxes with their orientation, static heightfields and
 * meshes from the geometry the host sends once per connection (drawn in world coordinates
 * once their asset has arrived), joints (a line between the world anchors of their two ends, a
 * hinge's axis as a short red bar, placed every frame on the bodies' interpolated poses), the
 * shard borders drawn on the ground, and a controllable avatar.
 * It uses the client library (src/client/client.ts): the server simulates, the viewer interpolates
 * what it receives, except the player's own avatar, which it predicts (issue 20; docs/protocol.md
 * section 19): the unshared WebAssembly core (/assets/tessera.unshared.wasm) with the server's
 * statics (GET /predict) runs the avatar locally, applies each input at once (a key press moves
 * it on the next frame), rolls back and replays on each authoritative record, and draws a
 * correction's visible error fading over about 100 ms (src/client/predicted-avatar.ts, smooth.ts),
 * drawn between its last two predicted ticks at render time. The dynamic bodies within 8 m of the
 * avatar (`?near=M` sets the radius, `?near=0` none) are predicted with it from their raw records
 * (docs/protocol.md section 19.1) and drawn from the prediction, their corrections fading too.
 * A thrown sphere is drawn at once (a ghost simulated in a local world, src/client/projectiles.ts)
 * and replaced by the server's sphere when one appears near its path, drawn from where the ghost
 * was with the offset fading.
 *
 * URL parameters: `?lag=N` adds N ms of round trip (N / 2 each way) inside the viewer's socket
 * (web/viewer/lag-socket.ts) to try prediction; `?predict=0` turns prediction off (the avatar is
 * interpolated like everything else). The HUD shows the round-trip time (pings every 500 ms), the
 * size of the last correction's visible error (mm) and the corrections so far.
 *
 * Controls: WASD walk (relative to the camera), Space jump, click throws a sphere where the
 * camera looks, F drops one in front of the avatar, E picks up the nearest object within 3 m
 * (an ownership request unless it is already ours; carried with 'ob' move inputs while owned)
 * and drops it again, right-drag turns the camera, Enter focuses the chat.
 */
import * as THREE from 'three';
import { TesseraClient, type ClientGeometry, type RenderBody } from '../../src/client/client';
import { CHAT_CHANNEL, OWNERSHIP_ACTION, SHAPE, type ServerMessage, type StreamEvent } from '../../src/protocol/messages';
import type { ErrorBody } from '../../src/protocol/errors';
import { AVATAR, encodeHandle, metresToMm, OBJECT_INPUT } from '../../src/sim/event-bodies';
import { valuesDigest, type ViewerProbe } from './probe';
import { laggedWebSocket } from './lag-socket';
import { AvatarPrediction } from '../../src/client/predicted-avatar';
import type { PredictWorld } from '../../src/client/predict-world';
import { provideCoreModule } from '../../src/physics/wasm';
import { ProjectilePrediction } from '../../src/client/projectiles';
import { Smoother } from '../../src/client/smooth';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
/** Keys that change the walk or the jump (sent at once on press and release). */
const MOVE_KEYS = new Set(['w', 'a', 's', 'd', ' ']);
const SHARD_COLOURS = [0xe4572e, 0x29335c, 0xf3a712, 0x4caf50, 0x9c27b0, 0x00bcd4, 0xff9800, 0x8bc34a];
const STATIC = 2,
  NO_SHARD = 255;

interface WorldInfo {
  tickRate: number;
  partition: { xCuts: number[]; zCuts: number[] };
  cellSize: number;
}

const probe: ViewerProbe = {
  connected: false,
  publicId: 0,
  tick: 0,
  bodies: 0,
  moving: 0,
  me: null,
  meShard: -1,
  shards: [],
  chat: [],
  owned: null,
  spheres: 0,
  boxes: 0,
  hulls: 0,
  compounds: 0,
  reach: null,
  reachOwn: false,
  terrain: [],
  joints: [],
  rttMs: null,
  lagMs: 0,
  predicting: false,
  predictError: null,
  corrections: 0,
  lastCorrectionMm: 0,
  predictMs: 0,
  predictedBodies: 0,
  nearbyCorrections: 0,
  frames: 0,
  keyFrame: -1,
  ghosts: 0,
  throwFrame: -1,
  ghostFrame: -1,
  ghostsMatched: 0,
  ghostsExpired: 0,
  drawn: [],
  setYaw: () => {},
};
(window as unknown as { tessera: ViewerProbe }).tessera = probe;

async function main(): Promise<void> {
  const token = await login();
  // with guests off, /world answers only with a token
  const info = (await (await fetch('/world', { headers: { authorization: `Bearer ${token}` } })).json()) as WorldInfo;
  const privateId = localStorage.getItem('tessera.privateId') ?? `viewer-${crypto.getRandomValues(new Uint32Array(2)).join('')}`;
  localStorage.setItem('tessera.privateId', privateId);

  // ---- scene ----
  const canvas = $<HTMLCanvasElement>('view');
  const renderer = new THREE.WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
  renderer.setPixelRatio(Math.min(2, window.devicePixelRatio));
  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0x9fc5e8);
  scene.fog = new THREE.Fog(0x9fc5e8, 60, 160);
  const camera = new THREE.PerspectiveCamera(60, 1, 0.1, 500);
  scene.add(new THREE.HemisphereLight(0xffffff, 0x445566, 1.1));
  const sun = new THREE.DirectionalLight(0xffffff, 1.2);
  sun.position.set(20, 40, 10);
  scene.add(sun);
  const ground = new THREE.Mesh(new THREE.PlaneGeometry(400, 400), new THREE.MeshLambertMaterial({ color: 0x6b8f5e }));
  ground.rotation.x = -Math.PI / 2;
  scene.add(ground);
  const border = new THREE.LineBasicMaterial({ color: 0xffffff });
  for (const x of info.partition.xCuts)
    scene.add(new THREE.Line(new THREE.BufferGeometry().setFromPoints([new THREE.Vector3(x, 0.02, -200), new THREE.Vector3(x, 0.02, 200)]), border));
  for (const z of info.partition.zCuts)
    scene.add(new THREE.Line(new THREE.BufferGeometry().setFromPoints([new THREE.Vector3(-200, 0.02, z), new THREE.Vector3(200, 0.02, z)]), border));
  const shards = (info.partition.xCuts.length + 1) * (info.partition.zCuts.length + 1);
  $('legend').innerHTML =
    'shards:' +
    Array.from(
      { length: shards },
      (_, k) => `<span style="background:#${SHARD_COLOURS[k % SHARD_COLOURS.length].toString(16).padStart(6, '0')}"></span>${k}`,
    ).join('');
  const resize = (): void => {
    renderer.setSize(window.innerWidth, window.innerHeight, false);
    camera.aspect = window.innerWidth / window.innerHeight;
    camera.updateProjectionMatrix();
  };
  window.addEventListener('resize', resize);
  resize();

  const materials = new Map<number, THREE.Material>();
  // every moving body, the player's avatar included, has the colour of the shard with authority over it
  const material = (b: RenderBody): THREE.Material => {
    const key = b.kind === STATIC || b.shard === NO_SHARD ? -2 : b.shard;
    let m = materials.get(key);
    if (!m) {
      m = new THREE.MeshLambertMaterial({ color: key === -2 ? 0x8a8f94 : SHARD_COLOURS[key % SHARD_COLOURS.length] });
      materials.set(key, m);
    }
    return m;
  };
  const meshes = new Map<string, { mesh: THREE.Mesh; shard: number; waiting?: boolean }>();
  /** A hull's (or a compound's children's) triangles in its body's frame (TesseraClient.geometry), or null until its asset has arrived. */
  const hullGeometry = (b: RenderBody): THREE.BufferGeometry | null => {
    const g = client.geometry.get(b.asset);
    if (!g || (g.kind !== 'hull' && g.kind !== 'compound')) return null;
    const out = new THREE.BufferGeometry();
    out.setAttribute('position', new THREE.BufferAttribute(Float32Array.from(g.vertices), 3));
    out.setIndex(new THREE.BufferAttribute(g.indices, 1));
    out.computeVertexNormals();
    return out;
  };
  const geometry = (b: RenderBody): THREE.BufferGeometry => {
    // a hull waiting for its vertices: a small marker until they arrive (drawBodies swaps it)
    if (b.shape === SHAPE.HULL || b.shape === SHAPE.COMPOUND) return hullGeometry(b) ?? new THREE.OctahedronGeometry(0.1);
    if (b.shape === SHAPE.SPHERE) return new THREE.SphereGeometry(b.size[0], 16, 12);
    // an upright capsule, or a rotating one (its core along its local y, turned by its rotation)
    if (b.shape === SHAPE.CAPSULE || b.shape === SHAPE.ROTATING_CAPSULE) return new THREE.CapsuleGeometry(b.size[0], 2 * b.size[1], 4, 12);
    return new THREE.BoxGeometry(2 * b.size[0], 2 * b.size[1], 2 * b.size[2]);
  };

  // static heightfields and meshes: drawn in world coordinates from their asset (RenderBody.asset)
  const terrainMaterials = {
    heightfield: new THREE.MeshLambertMaterial({ color: 0x7f9a55, side: THREE.DoubleSide }),
    mesh: new THREE.MeshLambertMaterial({ color: 0xb5a48a, side: THREE.DoubleSide }),
  };
  const terrainGeometry = (g: ClientGeometry): THREE.BufferGeometry => {
    const out = new THREE.BufferGeometry();
    if (g.kind === 'heightfield') {
      const pos = new Float32Array(g.nx * g.nz * 3),
        idx: number[] = [];
      for (let iz = 0; iz < g.nz; iz++)
        for (let ix = 0; ix < g.nx; ix++) {
          const k = iz * g.nx + ix;
          pos.set([g.originX + ix * g.cellX, g.heights[k], g.originZ + iz * g.cellZ], k * 3);
          // two triangles a cell as the core splits it (assembly/physics/terrain.ts): (p00, p01, p11)
          // and (p00, p11, p10), pab = sample (ix + a, iz + b), counter-clockwise seen from above (+y)
          if (ix + 1 < g.nx && iz + 1 < g.nz) idx.push(k, k + g.nx, k + g.nx + 1, k, k + g.nx + 1, k + 1);
        }
      out.setAttribute('position', new THREE.BufferAttribute(pos, 3));
      out.setIndex(idx);
    } else {
      out.setAttribute('position', new THREE.BufferAttribute(Float32Array.from(g.vertices), 3));
      out.setIndex(new THREE.BufferAttribute(g.indices, 1));
    }
    out.computeVertexNormals();
    return out;
  };
  // joints: one set of line segments for the links between anchors (ropes, rods), one for hinge
  // axes; their vertex buffers are rewritten every frame from the bodies' interpolated poses
  const jointLines = (colour: number): { lines: THREE.LineSegments; put(points: number[]): void } => {
    const geo = new THREE.BufferGeometry();
    let buf = new Float32Array(0);
    const lines = new THREE.LineSegments(geo, new THREE.LineBasicMaterial({ color: colour }));
    lines.frustumCulled = false;
    scene.add(lines);
    return {
      lines,
      put(points: number[]): void {
        if (buf.length < points.length) {
          buf = new Float32Array(Math.max(points.length, buf.length * 2, 48));
          geo.setAttribute('position', new THREE.BufferAttribute(buf, 3));
        }
        buf.set(points);
        const attr = geo.getAttribute('position') as THREE.BufferAttribute | undefined;
        if (attr) attr.needsUpdate = true;
        geo.setDrawRange(0, points.length / 3);
      },
    };
  };
  const jointLinks = jointLines(0x222222),
    jointAxes = jointLines(0xd32f2f);
  /** Half the length of a hinge's axis bar, m. */
  const AXIS_HALF = 0.35;

  /** Terrain drawn, by body key. */
  const terrainMeshes = new Map<string, { mesh: THREE.Mesh; info: ViewerProbe['terrain'][number] }>();

  // ---- prediction (before connecting: the core and the server's statics) ----
  const params = new URLSearchParams(location.search);
  const lagMs = Math.max(0, Number(params.get('lag') ?? 0) || 0);
  // ?deltas=full or ?deltas=packed: opt out of predicted deltas (docs/protocol.md 7.2, 7.3); default predicted
  const deltas = params.get('deltas');
  probe.lagMs = lagMs;
  // the dynamic bodies within this radius of the avatar are predicted with it (?near=0: none)
  const nearM = Math.max(0, Number(params.get('near') ?? 8) || 0);
  let predictWorld: PredictWorld | null = null;
  if (params.get('predict') !== '0') {
    try {
      const [w, wasm] = await Promise.all([
        fetch('/predict', { headers: { authorization: `Bearer ${token}` } }).then((r) =>
          r.ok ? (r.json() as Promise<PredictWorld>) : Promise.reject(new Error(`/predict ${r.status}`)),
        ),
        fetch('/assets/tessera.unshared.wasm').then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error(`core ${r.status}`)))),
      ]);
      provideCoreModule('unshared', await WebAssembly.compile(wasm));
      predictWorld = w;
    } catch (e) {
      probe.predictError = String(e);
    }
  }
  let prediction: AvatarPrediction | null = null;
  /** Thrown spheres drawn at once (ghosts) until the server's body is matched to them (src/client/projectiles.ts). */
  let projectiles: ProjectilePrediction | null = null;

  // ---- connection ----
  let myBody: string | null = null;
  const chatLog = $('chat-log');
  const say = (line: string): void => {
    const div = document.createElement('div');
    div.textContent = line;
    chatLog.appendChild(div);
    chatLog.scrollTop = chatLog.scrollHeight;
    probe.chat.push(line);
  };
  const client = new TesseraClient(
    {
      url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`,
      token,
      privateId,
      WebSocket: lagMs > 0 ? laggedWebSocket(lagMs / 2) : (window.WebSocket as never),
      pingEveryMs: 500,
      predict: predictWorld !== null,
      packedDeltas: deltas !== 'full',
      predictedDeltas: deltas !== 'full' && deltas !== 'packed',
      predictRadiusM: nearM,
    },
    {
      onState: (_mirror, info) => prediction?.onState(info),
      onWelcome: (w) => {
        probe.connected = true;
        probe.publicId = w.publicId;
        $('status').textContent = `connected as ${w.publicId}`;
        $('me').textContent = String(w.publicId);
      },
      onClose: (code, reason, retry) => {
        probe.connected = false;
        $('status').textContent = `closed ${code} ${reason}${retry ? ', reconnecting' : ''}`;
      },
      onServerEvent: (e: StreamEvent) => {
        if (e.type === '_av') {
          const av = AVATAR.decode(e.body);
          if (av && av.publicId === client.publicId) myBody = encodeHandle(av.body);
        }
      },
      onTick: (t) => {
        probe.tick = t;
        $('tick').textContent = String(t);
      },
      onMessage: (m: ServerMessage) => {
        prediction?.onMessage(m);
        if (m.kind === 'chat') say(`${m.from === 0 ? 'server' : `#${m.from}`}: ${m.text}`);
        else if (m.kind === 'ownership') {
          const key = `${m.body.index}:${m.body.generation}`;
          owners.set(key, m.owner);
          // a body of ours not seen yet: the sphere our oldest waiting ghost became (matched by identity)
          if (m.owner === ownerId()) projectiles?.claim(key);
          if (carrying === key) {
            if (m.owner !== ownerId()) {
              carrying = null;
              probe.owned = null;
            } else probe.owned = carrying;
          }
        } else if (m.kind === 'error') $('error').textContent = m.message;
      },
    },
  );
  if (predictWorld) {
    try {
      prediction = new AvatarPrediction(client, predictWorld);
      projectiles = new ProjectilePrediction(predictWorld);
      probe.predicting = true;
    } catch (e) {
      probe.predictError = String(e);
    }
  }
  $('predict').textContent = prediction ? 'on' : `off${probe.predictError ? ` (${probe.predictError})` : ''}`;
  await client.connect();
  const ownerId = (): number => (token === 'guest' ? 0x80000000 + client.publicId : accountId);

  // ---- input ----
  const keys = new Set<string>();
  window.addEventListener('keydown', (e) => {
    if (document.activeElement === $('chat-input')) return;
    if (e.key === 'Enter') {
      $('chat-input').focus();
      e.preventDefault();
      return;
    }
    const k = e.key.toLowerCase();
    const fresh = !keys.has(k);
    keys.add(k);
    if (fresh && MOVE_KEYS.has(k)) {
      // at once, not at the next 50 ms input: the predicted avatar moves on the next frame
      probe.keyFrame = probe.frames;
      sendWalk();
    }
    if (e.key.toLowerCase() === 'e') pickUpOrDrop();
    if (e.key.toLowerCase() === 'f') throwBall(0);
  });
  window.addEventListener('keyup', (e) => {
    const k = e.key.toLowerCase();
    if (keys.delete(k) && MOVE_KEYS.has(k)) sendWalk();
  });
  let yaw = Math.PI / 4;
  probe.setYaw = (y) => {
    yaw = y;
  };
  canvas.addEventListener('mousemove', (e) => {
    if (e.buttons & 2) yaw -= e.movementX * 0.005;
  });
  canvas.addEventListener('contextmenu', (e) => e.preventDefault());
  canvas.addEventListener('click', () => throwBall());
  $('chat-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = $<HTMLInputElement>('chat-input');
    if (input.value.trim()) client.send({ kind: 'chat', channel: CHAT_CHANNEL.WORLD, to: '', text: input.value.trim() });
    input.value = '';
    input.blur();
  });
  /** Sends the walk and jump the held keys give (predicted at once when prediction is on). */
  function sendWalk(): void {
    const f = (keys.has('w') ? 1 : 0) - (keys.has('s') ? 1 : 0),
      r = (keys.has('d') ? 1 : 0) - (keys.has('a') ? 1 : 0);
    // camera-relative: forward is where the camera looks (yaw), right is 90 degrees clockwise
    const fx = -Math.sin(yaw),
      fz = -Math.cos(yaw),
      rx = Math.cos(yaw),
      rz = -Math.sin(yaw);
    let x = f * fx + r * rx,
      z = f * fz + r * rz;
    const n = Math.hypot(x, z);
    if (n > 1) {
      x /= n;
      z /= n;
    }
    const input = { walkX: Math.round(x * 1000), walkZ: Math.round(z * 1000), jump: keys.has(' ') };
    if (prediction) prediction.input(input);
    else client.sendInput(input);
  }
  setInterval(() => {
    sendWalk();
    if (carrying && mePos) {
      const at: [number, number, number] = [mePos[0] - Math.sin(yaw) * 1.5, mePos[1] + 0.8, mePos[2] - Math.cos(yaw) * 1.5];
      client.sendEvent(OBJECT_INPUT.type, OBJECT_INPUT.encode({ o: carrying, k: 'move', v: metresToMm(at) }));
    }
  }, 50);

  let mePos: [number, number, number] | null = null;
  let carrying: string | null = null;
  /** Owner of each object as the last ownership message said (wire principals). */
  const owners = new Map<string, number>();
  let accountId = 0;
  const q16 = (m: number): bigint => BigInt(Math.round(m * 65536));
  /** Throws a sphere where the camera looks at `speed` m/s (0: drops it in front of the avatar). */
  function throwBall(speed = 12): void {
    if (!mePos) return;
    const dx = -Math.sin(yaw),
      dz = -Math.cos(yaw);
    const at: [number, number, number] = [mePos[0] + dx * 1.2, mePos[1] + 1.2, mePos[2] + dz * 1.2],
      v: [number, number, number] = [dx * speed, speed > 0 ? 3 : 0, dz * speed];
    if (client.spawn([q16(at[0]), q16(at[1]), q16(at[2])], [q16(v[0]), q16(v[1]), q16(v[2])]) && projectiles) {
      projectiles.throwSphere(at, v, performance.now());
      probe.throwFrame = probe.frames;
    }
  }
  /** What E picks up: the nearest object within 3 m of the avatar, one of our own first (a sphere we dropped beats the pit's balls around it). */
  function pickTarget(): RenderBody | null {
    if (!mePos) return null;
    let best: RenderBody | null = null,
      bestD = 3,
      bestOwn = false;
    for (const b of client.bodies()) {
      const key = `${b.index}:${b.generation}`;
      if (b.kind === STATIC || key === myBody || b.shape === SHAPE.CAPSULE) continue;
      const d = Math.hypot(b.position[0] - mePos[0], b.position[1] - mePos[1], b.position[2] - mePos[2]);
      const own = owners.get(key) === ownerId();
      if (d < 3 && ((own && !bestOwn) || (own === bestOwn && d < bestD))) {
        best = b;
        bestD = d;
        bestOwn = own;
      }
    }
    return best;
  }
  function pickUpOrDrop(): void {
    if (carrying) {
      const [index, generation] = carrying.split(':').map(Number);
      client.send({ kind: 'ownership', body: { index, generation }, action: OWNERSHIP_ACTION.RELEASE, rule: 0, target: 0 });
      carrying = null;
      probe.owned = null;
      return;
    }
    const best = pickTarget();
    if (!best) {
      $('error').textContent = 'nothing within 3 m to pick up';
      return;
    }
    carrying = `${best.index}:${best.generation}`;
    if (owners.get(carrying) === ownerId()) {
      probe.owned = carrying;
      return;
    } // already ours (e.g. spawned by us)
    client.send({ kind: 'ownership', body: { index: best.index, generation: best.generation }, action: OWNERSHIP_ACTION.REQUEST, rule: 0, target: 0 });
  }

  // ---- render ----
  const seen = new Set<string>();
  const ghostMaterial = new THREE.MeshLambertMaterial({ color: 0xffffff, transparent: true, opacity: 0.8 });
  const ghostGeometry = new THREE.SphereGeometry(0.25, 16, 12);
  /** Ghost meshes by ghost id. */
  const ghostMeshes = new Map<number, THREE.Mesh>();
  /** Server spheres matched to a ghost: drawn from where the ghost was, the offset fading (Smoother). */
  const fades = new Map<string, Smoother>();
  let lastFrameAt = performance.now();
  const frame = (): void => {
    const bodies = client.bodies();
    // the own avatar: predicted (null before its first record, or with prediction off)
    const predicted = prediction?.frame() ?? null;
    // the nearby bodies: predicted with it (drawn from the prediction instead of interpolated)
    const nearby = new Map<string, { position: number[]; rotation: number[] }>();
    if (prediction) for (const d of prediction.nearbyDrawn()) nearby.set(d.key, d);
    const nowMs = performance.now(),
      dtMs = nowMs - lastFrameAt;
    lastFrameAt = nowMs;
    if (projectiles) {
      projectiles.frame(nowMs);
      const spheresNow = bodies
        .filter((b) => b.shape === SHAPE.SPHERE && b.kind !== STATIC)
        .map((b) => ({ key: `${b.index}:${b.generation}`, position: b.position }));
      for (const m of projectiles.match(spheresNow)) {
        const f = new Smoother({ tauMs: 60 });
        f.correct(m.offset, [0, 0, 0]);
        fades.set(m.key, f);
      }
      const live = new Set<number>();
      for (const g of projectiles.ghosts) {
        live.add(g.id);
        let mesh = ghostMeshes.get(g.id);
        if (!mesh) {
          mesh = new THREE.Mesh(ghostGeometry, ghostMaterial);
          ghostMeshes.set(g.id, mesh);
          scene.add(mesh);
        }
        mesh.position.set(g.position[0], g.position[1], g.position[2]);
      }
      for (const [id, mesh] of ghostMeshes)
        if (!live.has(id)) {
          scene.remove(mesh);
          ghostMeshes.delete(id);
        }
      probe.ghosts = projectiles.ghosts.length;
      // (this frame's number is probe.frames + 1: it is counted below)
      if (probe.ghosts > 0 && probe.ghostFrame <= probe.throwFrame) probe.ghostFrame = probe.frames + 1;
      probe.ghostsMatched = projectiles.matched;
      probe.ghostsExpired = projectiles.expired;
    }
    for (const [key, f] of fades) {
      f.decay(dtMs);
      if (f.size === 0) fades.delete(key);
    }
    seen.clear();
    let moving = 0,
      spheres = 0,
      boxes = 0,
      hulls = 0,
      compounds = 0;
    const inShards = new Set<number>();
    for (const b of bodies) {
      const key = `${b.index}:${b.generation}`;
      seen.add(key);
      if (b.asset >= 0 && b.shape !== SHAPE.HULL && b.shape !== SHAPE.COMPOUND) {
        // a heightfield or mesh: once its geometry is here, a mesh in world coordinates (it never moves)
        const g = client.geometry.get(b.asset);
        if (g && g.kind !== 'hull' && g.kind !== 'compound' && !terrainMeshes.has(key)) {
          const geo = terrainGeometry(g);
          const mesh = new THREE.Mesh(geo, terrainMaterials[g.kind]);
          scene.add(mesh);
          terrainMeshes.set(key, {
            mesh,
            info: {
              asset: b.asset,
              kind: g.kind,
              triangles: (geo.index?.count ?? 0) / 3,
              vertices: geo.attributes.position.count,
              digest: valuesDigest(g.raw.values),
            },
          });
        }
        continue;
      }
      const mine = key === myBody;
      let m = meshes.get(key);
      if (!m) {
        m = {
          mesh: new THREE.Mesh(geometry(b), material(b)),
          shard: b.shard,
          waiting: (b.shape === SHAPE.HULL || b.shape === SHAPE.COMPOUND) && !client.geometry.has(b.asset),
        };
        meshes.set(key, m);
        scene.add(m.mesh);
      } else if (m.waiting && client.geometry.has(b.asset)) {
        // the hull's vertices arrived: its marker becomes the hull
        m.mesh.geometry.dispose();
        m.mesh.geometry = geometry(b);
        m.waiting = false;
      }
      if (m.shard !== b.shard) {
        m.mesh.material = material(b);
        m.shard = b.shard;
      } // a handoff: the colour changes
      const fade = fades.get(key);
      const near = nearby.get(key);
      const at = mine && predicted ? predicted : near ? near.position : fade ? fade.drawn(b.position) : b.position;
      const rot = near ? near.rotation : b.rotation;
      m.mesh.position.set(at[0], at[1], at[2]);
      m.mesh.quaternion.set(rot[0], rot[1], rot[2], rot[3]);
      if (b.kind !== STATIC) {
        moving++;
        if (b.shard !== NO_SHARD) inShards.add(b.shard);
      }
      if (mine) {
        mePos = [at[0], at[1], at[2]];
        probe.meShard = b.shard;
      }
      if (b.shape === SHAPE.SPHERE && b.kind !== STATIC) spheres++;
      if (b.shape === SHAPE.BOX && b.kind !== STATIC) boxes++;
      if (b.shape === SHAPE.HULL && !m.waiting) hulls++;
      if (b.shape === SHAPE.COMPOUND && !m.waiting) compounds++;
    }
    for (const [key, m] of meshes)
      if (!seen.has(key)) {
        scene.remove(m.mesh);
        m.mesh.geometry.dispose();
        meshes.delete(key);
      }
    for (const [key, t] of terrainMeshes)
      if (!seen.has(key)) {
        scene.remove(t.mesh);
        t.mesh.geometry.dispose();
        terrainMeshes.delete(key);
      }
    probe.terrain = [...terrainMeshes.values()].map((t) => t.info);
    // joints on the same interpolated poses as the bodies drawn this frame
    const joints = client.joints(bodies),
      links: number[] = [],
      axes: number[] = [];
    for (const j of joints) {
      links.push(...j.anchorA, ...j.anchorB);
      if (j.axis && (j.kind === 'hinge' || j.kind === 'fixed')) {
        const [x, y, z] = j.anchorA,
          [ax, ay, az] = j.axis;
        axes.push(x - ax * AXIS_HALF, y - ay * AXIS_HALF, z - az * AXIS_HALF, x + ax * AXIS_HALF, y + ay * AXIS_HALF, z + az * AXIS_HALF);
      }
    }
    jointLinks.put(links);
    jointAxes.put(axes);
    probe.joints = joints.map((j) => ({
      kind: j.kind,
      a: j.a,
      b: j.b,
      length: Math.hypot(j.anchorA[0] - j.anchorB[0], j.anchorA[1] - j.anchorB[1], j.anchorA[2] - j.anchorB[2]),
      axis: j.axis,
    }));
    probe.bodies = bodies.length;
    probe.moving = moving;
    probe.spheres = spheres;
    probe.boxes = boxes;
    probe.hulls = hulls;
    probe.compounds = compounds;
    probe.me = mePos;
    probe.frames++;
    if (mePos) {
      probe.drawn.push([probe.frames, mePos[0], mePos[1], mePos[2]]);
      if (probe.drawn.length > 120) probe.drawn.splice(0, probe.drawn.length - 120);
    }
    probe.rttMs = client.rttMs;
    $('rtt').textContent = client.rttMs === null ? '-' : client.rttMs.toFixed(0);
    if (prediction) {
      probe.corrections = prediction.predictor.corrections;
      probe.lastCorrectionMm = prediction.lastCorrectionM * 1000;
      probe.predictMs = prediction.frameMs;
      probe.predictedBodies = prediction.predictor.nearbyHandles.length;
      probe.nearbyCorrections = prediction.predictor.nearbyCorrections;
      $('corr').textContent = `${probe.lastCorrectionMm.toFixed(1)} (${probe.corrections})`;
    }
    const target = pickTarget();
    probe.reach = target ? `${target.index}:${target.generation}` : null;
    probe.reachOwn = probe.reach !== null && owners.get(probe.reach) === ownerId();
    probe.shards = [...inShards].sort();
    $('bodies').textContent = String(bodies.length);
    const c = mePos ?? [0, 1, 0];
    camera.position.set(c[0] + Math.sin(yaw) * 9, c[1] + 5, c[2] + Math.cos(yaw) * 9);
    camera.lookAt(c[0], c[1] + 1, c[2]);
    renderer.render(scene, camera);
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);

  async function login(): Promise<string> {
    return new Promise((resolve) => {
      $('guest').addEventListener('click', () => {
        $('login').style.display = 'none';
        resolve('guest');
      });
      $('login-form').addEventListener('submit', (e) => {
        e.preventDefault();
        void fetch('/auth/login', {
          method: 'POST',
          body: JSON.stringify({ name: $<HTMLInputElement>('name').value, password: $<HTMLInputElement>('password').value }),
        }).then(async (r) => {
          const j = (await r.json()) as { token?: string; accountId?: number } & Partial<ErrorBody>;
          if (!j.token) {
            $('login-error').textContent = j.error ? `${j.error.message} (${j.error.name} ${j.error.code})` : `login failed (${r.status})`;
            return;
          }
          accountId = j.accountId ?? 0;
          $('login').style.display = 'none';
          resolve(j.token);
        });
      });
    });
  }
}

main().catch((e: unknown) => {
  $('error').textContent = String(e);
});
