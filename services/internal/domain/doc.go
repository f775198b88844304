// Package domain holds what Boardpack knows about businesses, independent of
// how a service is started: tenants and their settings (tenants), report
// schedules and periods (schedule), Stripe events translated into metric
// facts (stripemap), the spreadsheet importer (importer), the per-tenant
// read model folded from facts (readmodel), the five role analyses and their
// rendering (report), and the records of report sends and their delivery
// (delivery). Domain packages may use platform; platform never uses domain.
package domain
