using System.CommandLine;
using Dpr.Actors.Journal;
using Dpr.Host.Cli;

namespace Dpr.Host.Fleet;

/// <summary><c>dpr fleet up</c>: a local fleet (<see cref="LocalFleet"/>) until Ctrl-C or SIGTERM, for trying a fleet out.</summary>
public static class FleetCommand
{
    public static Command Create()
    {
        var boards = new Option<int>("--boards") { Description = "Simulated boards in the fleet.", DefaultValueFactory = _ => 4 };
        var nodes = new Option<int>("--nodes") { Description = "dpr serve --cluster processes sharing them.", DefaultValueFactory = _ => 2 };
        var up = new Command("up", "Start a fleet on this machine: a throwaway PostgreSQL and NODES dpr serve --cluster processes on loopback sharing BOARDS simulated boards; Ctrl-C stops it and deletes its data.") { boards, nodes };
        CliAction.Set(up, (parse, output) =>
        {
            var (n, m) = (parse.GetValue(boards), parse.GetValue(nodes));
            if (n is < 1 or > 256 || m is < 1 or > 32)
            {
                throw new CliFailure(ExitCodes.UsageOrFile, $"--boards 1 to 256 and --nodes 1 to 32, found {n} and {m}");
            }
            using var stop = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) =>
            {
                e.Cancel = true;
                stop.Cancel();
            };
            using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, s =>
            {
                s.Cancel = true;
                stop.Cancel();
            });
            LocalFleet fleet;
            try
            {
                output.WriteLine($"Starting PostgreSQL and {m} nodes for {n} boards...");
                fleet = LocalFleet.StartAsync(n, m, Path.Combine(Path.GetTempPath(), $"dpr-fleet-{Guid.NewGuid():N}")).GetAwaiter().GetResult();
            }
            catch (PostgresClusterException e)
            {
                throw new CliFailure(ExitCodes.Unavailable, e.Message);
            }
            using (fleet)
            {
                for (var i = 0; i < fleet.Nodes.Count; i++)
                {
                    output.WriteLine($"node {i}: {fleet.Nodes[i].Url} (member {fleet.Members[i]}, pid {fleet.Nodes[i].Id})");
                }
                output.WriteLine($"journal: {new Npgsql.NpgsqlConnectionStringBuilder(fleet.ConnectionString) { Password = null }}");
                foreach (var (tenant, key) in fleet.Keys)
                {
                    output.WriteLine($"key of {tenant}: {key}");
                }
                output.WriteLine($"Try: dpr jobs --url {fleet.Nodes[0].Url} --key {fleet.Keys["alice"]}; curl -H 'Authorization: Bearer {fleet.Keys["admin"]}' {fleet.Nodes[0].Url}v1/boards");
                output.WriteLine("Ctrl-C stops the fleet and deletes its data.");
                stop.Token.WaitHandle.WaitOne();
                output.WriteLine("Stopping the nodes (each leaves the cluster)...");
            }
            return ExitCodes.Ok;
        });
        return new Command("fleet", "A fleet of boards as one service (docs/fleet.md).") { up };
    }
}
