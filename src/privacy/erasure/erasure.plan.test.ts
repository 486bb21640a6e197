import { describe, expect, it } from 'vitest';
import type { ForeignKey } from '../../platform/db/introspect.js';
import type { PersonalTable } from '../../platform/datamap.js';
import { createPrivacyRegistry } from '../registry.js';
import { ErasureOrderError, planErasure } from './erasure.plan.js';

function personal(subjectColumn: string, extra: Partial<PersonalTable> = {}): PersonalTable {
  return {
    subjects: [{ column: subjectColumn, role: 'member' }],
    purpose: 'account',
    columns: { id: 'system.id', [subjectColumn]: 'user.id' },
    erasure: 'delete',
    retention: [],
    ...extra,
  };
}

function key(table: string, column: string, referencedTable: string): ForeignKey {
  return { table, column, referencedTable, referencedColumn: 'id', onDelete: 'no action' };
}

describe('erasure order', () => {
  const registry = createPrivacyRegistry([
    { owner: 'privacy', tables: { audit_details: personal('subject_id') } },
    {
      owner: 'accounts',
      tables: { members: personal('id'), member_emails: personal('member_id') },
    },
    {
      owner: 'forum',
      tables: {
        posts: personal('author_id'),
        post_images: {
          ...personal('post_id'),
          subjects: [],
          via: { table: 'posts', column: 'post_id' },
        },
        settings: { personal: false, columns: { id: 'system.id' } },
      },
    },
    {
      owner: 'uploads',
      tables: {},
      hooks: { eraseFor: () => Promise.resolve({ removed: 0, retained: [] }) },
    },
  ]);
  const keys = [
    key('member_emails', 'member_id', 'members'),
    key('posts', 'author_id', 'members'),
    key('posts', 'reply_to', 'posts'),
    key('settings', 'member_id', 'members'),
  ];

  it('puts owners whose tables reference another owner’s first, and the core last', () => {
    const plan = planErasure(registry, keys);
    // Free owners go in the registry's order, so accounts (freed by forum) comes before uploads.
    expect(plan.map((step) => step.owner)).toEqual(['forum', 'accounts', 'uploads', 'privacy']);
  });

  it('orders each owner’s tables children first, following foreign keys and via', () => {
    const plan = planErasure(registry, keys);
    expect(plan.find((step) => step.owner === 'forum')?.tables).toEqual(['post_images', 'posts']);
    expect(plan.find((step) => step.owner === 'accounts')?.tables).toEqual([
      'member_emails',
      'members',
    ]);
    expect(plan.find((step) => step.owner === 'uploads')).toEqual({
      owner: 'uploads',
      tables: [],
      hasHook: true,
    });
  });

  it('refuses owners that reference each other, naming them', () => {
    expect(() =>
      planErasure(registry, [...keys, key('members', 'favourite_post_id', 'posts')]),
    ).toThrow(ErasureOrderError);
    expect(() =>
      planErasure(registry, [...keys, key('members', 'favourite_post_id', 'posts')]),
    ).toThrow(/forum, accounts|accounts, forum/);
  });
});
