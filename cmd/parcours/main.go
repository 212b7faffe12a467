// Command parcours runs the Parcours platform. See `parcours help`.
package main

import (
	"os"
	_ "time/tzdata" // French dates must not depend on the host's time zone files

	"parcours/internal/cli"
)

func main() {
	os.Exit(cli.Main(&cli.Env{Args: os.Args, Stdout: os.Stdout, Stderr: os.Stderr}))
}
