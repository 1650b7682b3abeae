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
        var cluster = new Option<bool>("--cluster") { Description = "Join a fleet of boards (Dpr:Cluster, docs/fleet.md); needs --journal postgres." };
        var clusterPort = new Option<int?>("--cluster-port") { Description = "The port other members reach this node at (Dpr:Cluster:Port, default 4053)." };
        var seeds = new Option<string[]>("--seed") { Description = "A member to join through, akka.tcp://dpr@HOST:PORT (Dpr:Cluster:SeedNodes); repeat for several.", AllowMultipleArgumentsPerToken = false };
        var roles = new Option<string?>("--roles") { Description = "board, gateway or board,gateway (default) (Dpr:Cluster:Roles)." };
        var boards = new Option<int?>("--boards") { Description = "How many simulated boards the fleet has (Dpr:Cluster:Boards, default 1); every node must agree." };
        var command = new Command("serve", "Run the dpr service: the HTTP API over the board's regions and job queue.") { board, port, journal, connection, data, urls, loadStatic, cluster, clusterPort, seeds, roles, boards };
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
                ["Dpr:Cluster:Enabled"] = parse.GetValue(cluster) ? "true" : null,
                ["Dpr:Cluster:Port"] = parse.GetValue(clusterPort)?.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Dpr:Cluster:Roles"] = parse.GetValue(roles),
                ["Dpr:Cluster:Boards"] = parse.GetValue(boards)?.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }.Where(o => o.Value is not null).ToDictionary();
            foreach (var (seed, i) in (parse.GetValue(seeds) ?? []).Select((s, i) => (s, i)))
            {
                overrides[$"Dpr:Cluster:SeedNodes:{i}"] = seed;
            }
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
