/**
 * Control-flow signals a KSR implementation raises to end a route. Engines must make these
 * unwind the whole route even through the guest's own pcall/try/except: a user's error
 * handler must not turn `KSR.x.exit()` into "carry on".
 */
export class RouteExit extends Error {
  override readonly name = 'RouteExit';
  constructor(readonly drop: boolean) {
    super(drop ? 'KSR.x.drop()' : 'KSR.x.exit()');
  }
}

export function isRouteExit(e: unknown): e is RouteExit {
  return e instanceof RouteExit;
}
