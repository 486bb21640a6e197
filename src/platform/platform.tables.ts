/** Kysely types of the platform's own tables. Each platform piece adds its tables here. */
export interface PlatformSettingsTable {
  key: string;
  value: string;
  updated_at: string;
}

export interface PlatformTables {
  platform_settings: PlatformSettingsTable;
}
