/**
 * What every dev server of ours starts with (`npm start`, the tests, the bench): the record's search
 * attributes, registered at start, with their cache on. The CLI turns that cache off unless told
 * otherwise, so that an attribute added while it runs is seen at once; every read of a workflow's
 * search attributes is then a read of the cluster metadata from the store (16 per pipeline record).
 * A production server caches them, and ours are all registered at start, so nothing needs the
 * refresh.
 */
import { RECORD_SEARCH_ATTRIBUTES } from '../contract';

export const SEARCH_ATTRIBUTE_CACHE_ON = ['--dynamic-config-value', 'system.forceSearchAttributesCacheRefreshOnRead=false'];

export const searchAttributeArgs = (): string[] => [
  ...RECORD_SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]),
  ...SEARCH_ATTRIBUTE_CACHE_ON,
];
