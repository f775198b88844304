module github.com/boardpack/boardpack/services/reportctl

go 1.26.0

replace (
	github.com/boardpack/boardpack/messages => ../../messages
	github.com/boardpack/boardpack/services/internal => ../internal
)
