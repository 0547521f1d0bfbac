using Handoff.Server.Cli;

return await HandoffCommandLine.RunAsync(args);
