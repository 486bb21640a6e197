/**
 * `__tcfapi`: the IAB TCF v2.2 CMP API (loaded first in the head when TCF is on, as a classic
 * script, so everything stays inside one function: nothing leaks into the page's globals but
 * the API itself).
 *
 * - The API exists before anything else runs; calls made before the TC data arrives wait in a
 *   queue (`ping` answers at once, as the API requires).
 * - A hidden frame named `__tcfapiLocator` tells scripts in other frames that a CMP is here;
 *   they post `{ __tcfapiCall: { command, version, callId, parameter } }` to this window and get
 *   `{ __tcfapiReturn: { returnValue, success, callId } }` back.
 * - The TC string is encoded on the server: the data comes from `GET /cookies/tc-data` (the
 *   tcf module's `TC_DATA_PATH`), every field read back from the string itself.
 * - A `hearth:consent-changed` event (fired by the cookie settings script after a choice)
 *   reloads the data and tells every listener with `useractioncomplete`.
 */
(() => {
  type Flags = Record<string, boolean>;
  type Callback = (value: unknown, success: boolean) => void;
  type EventStatus = 'tcloaded' | 'cmpuishown' | 'useractioncomplete';

  /** What `/cookies/tc-data` answers. */
  interface ServerData {
    tcString: string;
    hasChoice: boolean;
    gdprApplies: boolean;
    cmpId: number;
    cmpVersion: number;
    tcfPolicyVersion: number;
    gvlVersion: number;
    isServiceSpecific: boolean;
    useNonStandardTexts: boolean;
    publisherCC: string;
    purposeOneTreatment: boolean;
    purpose: { consents: Flags; legitimateInterests: Flags };
    vendor: { consents: Flags; legitimateInterests: Flags; disclosedVendors: Flags };
    specialFeatureOptins: Flags;
  }

  type Call = [command: unknown, version: unknown, callback: Callback, parameter: unknown];

  const DATA_URL = '/cookies/tc-data';
  const LOCATOR = '__tcfapiLocator';
  const view = window as unknown as Record<string, unknown> & Window;

  let data: ServerData | null = null;
  let status: 'loading' | 'loaded' | 'error' = 'loading';
  let eventStatus: EventStatus = 'tcloaded';
  const waiting: Call[] = [];
  const listeners = new Map<number, Callback>();
  let lastListenerId = 0;

  /** Only the ids asked for, each present (false when unknown), as getTCData's vendorIds asks. */
  const pick = (flags: Flags, ids: unknown): Flags => {
    if (!Array.isArray(ids)) return { ...flags };
    const picked: Flags = {};
    for (const id of ids) picked[String(id)] = flags[String(id)] === true;
    return picked;
  };

  const tcData = (current: ServerData, listenerId?: number, vendorIds?: unknown) => ({
    tcString: current.tcString,
    tcfPolicyVersion: current.tcfPolicyVersion,
    cmpId: current.cmpId,
    cmpVersion: current.cmpVersion,
    gdprApplies: current.gdprApplies,
    eventStatus,
    cmpStatus: 'loaded',
    listenerId,
    isServiceSpecific: current.isServiceSpecific,
    useNonStandardTexts: current.useNonStandardTexts,
    publisherCC: current.publisherCC,
    purposeOneTreatment: current.purposeOneTreatment,
    purpose: {
      consents: { ...current.purpose.consents },
      legitimateInterests: { ...current.purpose.legitimateInterests },
    },
    vendor: {
      consents: pick(current.vendor.consents, vendorIds),
      legitimateInterests: pick(current.vendor.legitimateInterests, vendorIds),
      disclosedVendors: { ...current.vendor.disclosedVendors },
    },
    specialFeatureOptins: { ...current.specialFeatureOptins },
    // Hearth declares no publisher purposes through the TCF.
    publisher: {
      consents: {},
      legitimateInterests: {},
      customPurpose: { consents: {}, legitimateInterests: {} },
      restrictions: {},
    },
  });

  const ping = () => ({
    gdprApplies: data?.gdprApplies,
    cmpLoaded: status === 'loaded',
    cmpStatus: status,
    // Before a choice the banner is on the page.
    displayStatus: data ? (data.hasChoice ? 'hidden' : 'visible') : 'hidden',
    apiVersion: '2.2',
    cmpVersion: data?.cmpVersion,
    cmpId: data?.cmpId,
    gvlVersion: data?.gvlVersion,
    tcfPolicyVersion: data?.tcfPolicyVersion,
  });

  const run = ([command, version, callback, parameter]: Call): void => {
    if (command === 'ping') {
      callback(ping(), true);
      return;
    }
    if (version !== 2 && version !== undefined && version !== null) {
      callback(null, false);
      return;
    }
    if (status === 'loading') {
      waiting.push([command, version, callback, parameter]);
      return;
    }
    if (!data) {
      callback(null, false);
      return;
    }
    switch (command) {
      case 'getTCData':
        callback(tcData(data, undefined, parameter), true);
        return;
      case 'addEventListener': {
        lastListenerId += 1;
        listeners.set(lastListenerId, callback);
        callback(tcData(data, lastListenerId), true);
        return;
      }
      case 'removeEventListener': {
        const isRemoved = listeners.delete(Number(parameter));
        callback(isRemoved, isRemoved);
        return;
      }
      default:
        callback(null, false);
    }
  };

  const api = (command: unknown, version: unknown, callback: unknown, parameter?: unknown) => {
    if (typeof callback === 'function') run([command, version, callback as Callback, parameter]);
  };

  const load = async (): Promise<void> => {
    try {
      const response = await fetch(DATA_URL, {
        credentials: 'same-origin',
        cache: 'no-store',
        headers: { accept: 'application/json' },
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      data = (await response.json()) as ServerData;
      status = 'loaded';
    } catch {
      // Without data nothing is consented; every waiting call is told so.
      if (!data) status = 'error';
    }
  };

  const notify = (): void => {
    if (!data) return;
    for (const [listenerId, callback] of listeners) callback(tcData(data, listenerId), true);
  };

  // The frame other frames look for; hidden from sight and from assistive technology.
  const addLocator = (): void => {
    if (view.frames[LOCATOR as unknown as number]) return;
    if (!document.body) {
      document.addEventListener('DOMContentLoaded', addLocator, { once: true });
      return;
    }
    const frame = document.createElement('iframe');
    frame.name = LOCATOR;
    frame.hidden = true;
    frame.tabIndex = -1;
    frame.title = 'TCF locator';
    frame.setAttribute('aria-hidden', 'true');
    document.body.appendChild(frame);
  };

  // Calls from other frames: answered by posting back to the frame that asked.
  view.addEventListener('message', (event: MessageEvent) => {
    let message: unknown = event.data;
    const isText = typeof message === 'string';
    if (isText) {
      try {
        message = JSON.parse(message as string);
      } catch {
        return;
      }
    }
    const call = (message as { __tcfapiCall?: Record<string, unknown> } | null)?.__tcfapiCall;
    if (!call || typeof call !== 'object' || !event.source) return;
    const source = event.source as Window;
    api(
      call.command,
      call.version,
      (returnValue: unknown, success: boolean) => {
        const answer = { __tcfapiReturn: { returnValue, success, callId: call.callId } };
        source.postMessage(isText ? JSON.stringify(answer) : answer, '*');
      },
      call.parameter,
    );
  });

  // Captured on window: sees the event whether it was fired at window, document or an element.
  view.addEventListener(
    'hearth:consent-changed',
    () => {
      void load().then(() => {
        eventStatus = 'useractioncomplete';
        notify();
      });
    },
    true,
  );

  view.__tcfapi = api;
  addLocator();
  void load().then(() => {
    if (data && !data.hasChoice) eventStatus = 'cmpuishown';
    for (const call of waiting.splice(0)) run(call);
  });
})();
