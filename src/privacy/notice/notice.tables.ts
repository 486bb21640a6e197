/** Kysely table types of the published notice (migration 20261129_0012). */

export interface NoticeVersionsTable {
  version: number;
  published_at: string;
  summary: string;
  /** 1 when members must be shown the change and asked again for consent. */
  material: number;
  /** The snapshot (NoticeContent) as JSON text. */
  content: string;
}

export interface NoticeTables {
  privacy_notice_versions: NoticeVersionsTable;
}
