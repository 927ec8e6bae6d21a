// The listing's contract lives with the listing, so its return type is this schema's, not a twin.
export { TenantList, TenantListQuery, TenantSummary } from '../../services/tenant-listing.ts';
