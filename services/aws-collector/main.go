// Command aws-collector is a Boardpack service (skeleton placeholder).
package main

func main() {}
