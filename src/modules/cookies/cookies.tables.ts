/** The cookie module's table (migration 20261129_0070_cookies). */
export type GpcState = '' | 'honoured' | 'opt-in';

export interface CookieChoicesTable {
  id: string;
  visitor_id: string;
  member_id: string | null;
  /** JSON array of the purpose keys allowed. */
  purposes: string;
  /** JSON array of the partner ids allowed. */
  partners: string;
  catalogue_version: string;
  method: 'cmp' | 'gpc';
  gpc: GpcState;
  at: string;
}

export interface CookiesTables {
  cookies_choices: CookieChoicesTable;
}
