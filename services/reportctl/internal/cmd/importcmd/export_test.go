package importcmd

import (
	"context"

	"github.com/boardpack/boardpack/services/internal/domain/importer"
)

// ScanFile is scanImportFile, for the tests.
var ScanFile = scanImportFile

// RecordStarted writes the import log of an import of file that started
// (LATEST at version, not complete) and never finished.
func RecordStarted(ctx context.Context, db importLogAPI, table, tenantID string, kind importer.Kind, file string, sum *importer.Summary, version int64) error {
	return importLog{db: db, table: table}.record(ctx, tenantID, kind,
		importRecord{Digest: sum.Digest, Version: version, File: file, Rows: sum.Rows, Events: sum.Events}, nil)
}
