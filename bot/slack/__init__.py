"""The Slack edge: Bolt listeners, Block Kit rendering and outbound posts."""
