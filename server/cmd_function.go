package server

// Function commands. Libraries are stored in Pebble under codec.TagFunction.

func cmdFunctionFlush(c *Call) {
	if len(c.Args) > 3 || (len(c.Args) == 3 && !c.ArgIs(2, "async") && !c.ArgIs(2, "sync")) {
		c.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
		return
	}
	if err := c.Tx.FlushFunctions(); err != nil {
		c.Err(err)
		return
	}
	c.OK()
}
