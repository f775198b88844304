module github.com/boardpack/boardpack/messages

go 1.26
