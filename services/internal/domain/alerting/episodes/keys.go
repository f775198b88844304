package episodes

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

// Key shapes of the alerter's items, all in the tenant's partition. Kept
// in this one file so that they move to the shared key package in one
// step.
//
//	ALERT#<rule>#<subject>            the (rule, subject)'s current episode state
//	ALERTEP#<rule>#<subject>#<seq>    one episode, for history (written on open and close)
//	ALERTSEEN#<source>                when a source was last heard from (source.stale)
//	ALERTDEAD#<webhook hash>          a Slack webhook found gone (404/410)
//
// Notification claims are delivery sends (SEND#alert.<notification id>#<recipient>).
const (
	prefixState   = "ALERT#"
	prefixEpisode = "ALERTEP#"
	prefixSeen    = "ALERTSEEN#"
	prefixDead    = "ALERTDEAD#"
)

func stateSK(rule, subject string) string { return prefixState + rule + "#" + subject }

func episodeSK(rule, subject string, seq int) string {
	return fmt.Sprintf("%s%s#%s#%06d", prefixEpisode, rule, subject, seq)
}

func seenSK(source string) string { return prefixSeen + source }

func key(tenantID, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		resources.AttrPK: &types.AttributeValueMemberS{Value: tenants.PK(tenantID)},
		resources.AttrSK: &types.AttributeValueMemberS{Value: sk},
	}
}

// SendID is the delivery "report id" under which a notification's sends
// are claimed and recorded.
func SendID(notificationID string) string { return "alert." + notificationID }
