/** A bot participant: publishes a moving test pattern and a beeping tone into a room. */
export interface BotSpec {
  roomId?: number;
  strRoomId?: string;
  /** Default `'bot'`. */
  userId?: string;
}

export interface StartServerOptions {
  /** The app the server accepts (default 1400000001). */
  sdkAppId?: number;
  /** Its secret key (default: random). */
  key?: string;
  /** Bots to put into rooms once the server listens. */
  bot?: BotSpec | BotSpec[];
  /** More `trtc-server` options. */
  args?: string[];
  /** How long to wait for the server to listen (default 10000 ms). */
  timeoutMs?: number;
}

export interface TestServer {
  /** `http://127.0.0.1:PORT`: pass it as `enterRoom({ proxy })` or open pages from it. */
  url: string;
  sdkAppId: number;
  /** A userSig for `userId`, signed with the server's app key. */
  userSig(userId: string, expireSecs?: number): string;
  addBot(spec: BotSpec): Promise<void>;
  removeBot(spec: BotSpec): Promise<void>;
  /** Stops the server (SIGTERM); resolves when it exited. */
  stop(): Promise<void>;
}

/** Starts trtc-server in dev mode on a free loopback port. */
export function startServer(options?: StartServerOptions): Promise<TestServer>;

/** Chromium flags for fake camera, microphone and screen, autoplay, and loopback ICE. */
export const chromiumArgs: string[];

/** The path of the trtc-server binary that `npx trtc-server` runs. */
export function binaryPath(): string;
