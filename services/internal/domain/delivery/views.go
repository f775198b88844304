package delivery

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/platform/table"
)

// Views keeps the browser view of each sent report (table.ViewSK): the
// page's HTML, gzipped, in chunks of at most ViewChunk bytes (a DynamoDB
// item holds 400 KB), at most ViewMaxBytes in all, expiring with the
// view link (expires_at). A redelivered report writes the same items
// again.
type Views struct {
	DB    DynamoAPI
	Table string
}

// Limits of a stored view.
const (
	ViewChunk    = 300 << 10
	ViewMaxBytes = 8 * ViewChunk
)

// Errors of views.
var (
	ErrViewNotFound = errors.New("report view not found")
	ErrViewTooLarge = errors.New("report view too large to store")
)

// Compress gzips a page; Put stores what it returns.
func Compress(page string) []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	_, _ = io.WriteString(zw, page)
	_ = zw.Close()
	return b.Bytes()
}

// Put stores a report's gzipped page until expires.
func (v Views) Put(ctx context.Context, tenantID, reportID string, gz []byte, expires time.Time) error {
	if !messages.ValidTenantID(tenantID) || reportID == "" {
		return fmt.Errorf("store view: invalid tenant %q or report %q", tenantID, reportID)
	}
	if len(gz) > ViewMaxBytes {
		return fmt.Errorf("%w: %d bytes gzipped (at most %d)", ErrViewTooLarge, len(gz), ViewMaxBytes)
	}
	n := (len(gz) + ViewChunk - 1) / ViewChunk
	// The first chunk is written last and names the count: a reader
	// that finds it finds every chunk.
	for i := n - 1; i >= 0; i-- {
		part := gz[i*ViewChunk : min((i+1)*ViewChunk, len(gz))]
		item := table.Key(tenantID, table.ViewSK(reportID, i))
		item["data"] = &types.AttributeValueMemberB{Value: part}
		item[table.AttrExpiresAt] = table.N(expires.Unix())
		if i == 0 {
			item["chunks"] = table.N(int64(n))
		}
		if _, err := v.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(v.Table), Item: item}); err != nil {
			return fmt.Errorf("store view %s chunk %d: %w", reportID, i, err)
		}
	}
	return nil
}

// Get returns a report's page (gunzipped); ErrViewNotFound when it was
// never stored, is incomplete, or has expired at now (TTL deletes lag).
func (v Views) Get(ctx context.Context, tenantID, reportID string, now time.Time) (string, error) {
	if !messages.ValidTenantID(tenantID) || reportID == "" {
		return "", ErrViewNotFound
	}
	// A query page holds 1 MB: a view of several chunks takes more.
	var items []map[string]types.AttributeValue
	var start map[string]types.AttributeValue
	for {
		out, err := v.DB.Query(ctx, &dynamodb.QueryInput{
			TableName:                aws.String(v.Table),
			KeyConditionExpression:   aws.String("#pk = :pk AND begins_with(#sk, :prefix)"),
			ExpressionAttributeNames: map[string]string{"#pk": table.AttrPK, "#sk": table.AttrSK},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk": table.S(table.PK(tenantID)), ":prefix": table.S(table.ViewPrefix(reportID)),
			},
			ConsistentRead:    aws.Bool(true),
			ExclusiveStartKey: start,
		})
		if err != nil {
			return "", fmt.Errorf("read view %s: %w", reportID, err)
		}
		items = append(items, out.Items...)
		if len(out.LastEvaluatedKey) == 0 || len(items) > ViewMaxBytes/ViewChunk {
			break
		}
		start = out.LastEvaluatedKey
	}
	if len(items) == 0 {
		return "", ErrViewNotFound
	}
	n := num(items[0]["chunks"])
	// Chunks past n are left from a longer earlier version: not this one.
	if n < 1 || int(n) > len(items) || num(items[0][table.AttrExpiresAt]) <= now.Unix() {
		return "", ErrViewNotFound
	}
	var gz []byte
	for i, it := range items[:n] { // sorted by sk: chunk order
		if sk, ok := it[table.AttrSK].(*types.AttributeValueMemberS); !ok || sk.Value != table.ViewSK(reportID, i) {
			return "", ErrViewNotFound
		}
		b, ok := it["data"].(*types.AttributeValueMemberB)
		if !ok {
			return "", fmt.Errorf("read view %s: chunk without data", reportID)
		}
		gz = append(gz, b.Value...)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return "", fmt.Errorf("read view %s: %w", reportID, err)
	}
	page, err := io.ReadAll(io.LimitReader(zr, 64<<20))
	if err != nil {
		return "", fmt.Errorf("read view %s: %w", reportID, err)
	}
	return string(page), nil
}

func num(v types.AttributeValue) int64 {
	if n, ok := v.(*types.AttributeValueMemberN); ok {
		i, _ := strconv.ParseInt(n.Value, 10, 64)
		return i
	}
	return 0
}
