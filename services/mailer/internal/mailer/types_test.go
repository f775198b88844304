package mailer

import (
	"io"
	"log/slog"

	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

type (
	sqstypesName = sqstypes.QueueAttributeName
	dynamodbAV   = ddbtypes.AttributeValue
	ddbSS        = ddbtypes.AttributeValueMemberSS
)

func strAV(s string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberS{Value: s} }

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
