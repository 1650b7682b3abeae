using System.CommandLine;
using Dpr.Host.Cli;
using Microsoft.Extensions.DependencyInjection;

namespace Dpr.Host.Service;

/// <summary><c>dpr serve</c>: the service (<see cref="DprService"/>) until SIGTERM or Ctrl-C.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var board = new Option<string?>("--board") { Description = "A built-in board (pynq-z2, pynq-z2-composable) or a board profile (JSON). Default pynq-z2." };
        var port = new Option<string?>("--port") { Description = "simulated (default); on the board fpga-manager, overlay (configfs device-tree overlays) or hwicap (AXI HWICAP over /dev/mem); simulated-overlay or simulated-hwicap run those ports over the simulated board." };
        var journal = new Option<string?>("--journal") { Description = "sqlite (default, under --data) or postgres (--connection)." };
        var connection = new Option<string?>("--connection") { Description = "The PostgreSQL connection string for --journal postgres." };
        var data = new Option<string?>("--data") { Description = "Data directory: journals, modules, results, tenants. Default ./data." };
        var urls = new Option<string?>("--urls") { Description = "Where to listen, ';'-separated. Default http://localhost:5080." };
        var loadStatic = new Option<bool>("--load-static") { Description = "Load the board's static image at start (Dpr:LoadStatic), then check the PL; every partition starts empty." };
        var command = new Command("serve", "Run the dpr service: the HTTP API over the board's regions and job queue.") { board, port, journal, connection, data, urls, loadStatic };
        CliAction.Set(command, (parse, _) =>
        {
            var overrides = new Dictionary<string, string?>
            {
                ["Dpr:Board"] = parse.GetValue(board),
                ["Dpr:Port"] = parse.GetValue(port),
                ["Dpr:Journal"] = parse.GetValue(journal),
                ["Dpr:Connection"] = parse.GetValue(connection),
                ["Dpr:Data"] = parse.GetValue(data),
                ["Dpr:Urls"] = parse.GetValue(urls),
                ["Dpr:LoadStatic"] = parse.GetValue(loadStatic) ? "true" : null,
            }.Where(o => o.Value is not null).ToDictionary();
            try
            {
                using var app = DprService.Build(overrides);
                // Run disposes the services: the journal's status is taken first.
                var journal = app.Services.GetRequiredService<JournalStatus>();
                app.Run();
                return journal.StartupFailure is { } failure
                    ? throw new CliFailure(ExitCodes.Unavailable, failure)
                    : ExitCodes.Ok;
            }
            catch (ServiceOptionsException e)
            {
                throw new CliFailure(ExitCodes.UsageOrFile, string.Join(Environment.NewLine, e.Problems));
            }
        });
        return command;
    }
}
