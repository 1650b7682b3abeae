using System.CommandLine;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Configuration;
using Dpr.Actors;
using Dpr.Actors.Jobs;
using Dpr.Actors.Regions;
using Dpr.Fabric.Convolution;
using Dpr.Fabric.Ports;
using Dpr.Host.Cli;
using Spectre.Console;

namespace Dpr.Host.Service;

/// <summary>
/// <c>dpr demo</c>: the embedded runtime in process; three tenants submit the CNN layers of
/// <see cref="CnnWorkload"/> in shuffled order, the swaps are shown as they happen, every result is
/// checked against the reference, and a summary compares the reconfigurations with what loading in
/// arrival order would have cost. Exits 0 only if every result is right.
/// </summary>
public static class DemoCommand
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static Command Create()
    {
        var rounds = new Option<int>("--rounds") { Description = "How many times each tenant submits every layer.", DefaultValueFactory = _ => 2 };
        var data = new Option<DirectoryInfo?>("--data") { Description = "Data directory (journals, modules, results); a fresh temporary one by default." };
        var command = new Command("demo", "Run a multi-tenant CNN workload on the embedded simulated board and check every result.") { rounds, data };
        CliAction.Set(command, (parse, output) =>
        {
            var temporary = parse.GetValue(data) is null;
            var directory = parse.GetValue(data)?.FullName ?? Path.Combine(Path.GetTempPath(), $"dpr-demo-{Guid.NewGuid():N}");
            try
            {
                return Run(Math.Max(1, parse.GetValue(rounds)), directory, InspectCommand.ConsoleFor(output));
            }
            finally
            {
                if (temporary && Directory.Exists(directory))
                {
                    Directory.Delete(directory, recursive: true);
                }
            }
        });
        return command;
    }

    private static int Run(int rounds, string directory, IAnsiConsole console)
    {
        var options = new ServiceOptions { Data = directory, RealTime = false };
        using var runtime = DprNode.Create(options);
        var system = options.JournalSettings.CreateSystem("dpr", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        try
        {
            // Subscribed before the first region starts, so every swap is seen, the first ones too.
            var swaps = Channel.CreateUnbounded<Observed.RegionEvent>();
            system.EventStream.Subscribe(system.ActorOf(Props.Create(() => new SwapListener(swaps.Writer))), typeof(Observed.RegionEvent));
            runtime.StartRegions(system);
            runtime.StartJobs(system);
            return Run(rounds, runtime, swaps.Reader, console);
        }
        finally
        {
            system.Terminate().Wait(TimeSpan.FromSeconds(10));
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        }
    }

    private static int Run(int rounds, DprNode runtime, ChannelReader<Observed.RegionEvent> regionEvents, IAnsiConsole console)
    {
        var rng = new Random(2026);
        var submissions = new[] { "alice", "bob", "carol" }
            .SelectMany(tenant => Enumerable.Range(0, rounds).SelectMany(_ => CnnWorkload.All).Select(layer => (Tenant: tenant, Layer: layer)))
            .OrderBy(_ => rng.Next())
            .ToList();
        console.MarkupLineInterpolated($"[bold]{submissions.Count}[/] jobs from 3 tenants over {submissions.Select(s => s.Layer.Module).Distinct().Count()} modules on the simulated {runtime.Board.Name}");

        var jobs = submissions.Select(s =>
        {
            var problem = CnnWorkload.Problem(s.Layer);
            var reply = runtime.Intake.Ask<object>(new JobCommands.Submit(ToRequest(s.Tenant, s.Layer, problem)), Timeout).GetAwaiter().GetResult();
            return reply is JobReplies.Accepted accepted
                ? (Id: accepted.JobId, Problem: problem, Module: s.Layer.Module.Name.Value)
                : throw new CliFailure(ExitCodes.UsageOrFile, $"job for {s.Layer.Name} refused: {reply}");
        }).ToList();

        var swapsSeen = 0L;
        while (true)
        {
            while (regionEvents.TryRead(out var region))
            {
                if (region.Event is RegionEvents.SwapCompleted swap)
                {
                    swapsSeen++;
                    console.MarkupLineInterpolated($"  swap {swapsSeen}: partition [bold]{region.Partition}[/] now holds [bold]{swap.Module}[/] ({swap.TotalMs:0.###} ms)");
                }
            }
            var open = jobs.Count(j => runtime.FindJobAsync(j.Id, Timeout).GetAwaiter().GetResult() is { State: JobState.Queued or JobState.Running });
            if (open == 0 && !regionEvents.TryPeek(out _))
            {
                break;
            }
            Thread.Sleep(50);
        }

        var correct = jobs.Count(j => runtime.Results.TryLoad(j.Id) is { } stored
            && TensorBytes.Decode(stored.Data, j.Problem.Spec.Module.Bits / 8).SequenceEqual(ConvReference.Requantized(j.Problem)));
        var arrivalSwaps = 1 + jobs.Zip(jobs.Skip(1), (a, b) => a.Module != b.Module).Count(changed => changed);
        var swapTime = SimulatedPortOptions.For(runtime.Board.Port).TransferTime(runtime.Catalog.Modules[0].Image.Payload.Length);
        var table = new Table().Border(TableBorder.Rounded).AddColumns("jobs", "results correct", "swaps", "time reconfiguring", "swaps in arrival order", "time saved");
        table.AddRow(
            jobs.Count.ToString(), $"{correct} of {jobs.Count}", swapsSeen.ToString(),
            $"{(swapsSeen * swapTime).TotalMilliseconds:0.#} ms", arrivalSwaps.ToString(), $"{((arrivalSwaps - swapsSeen) * swapTime).TotalMilliseconds:0.#} ms");
        console.Write(table);
        var ok = correct == jobs.Count;
        console.MarkupLine(ok ? "[green]all results correct[/]" : "[red]some results are wrong[/]");
        return ok ? ExitCodes.Ok : ExitCodes.Malformed;
    }

    /// <summary>Hands what the region managers publish to the demo's loop.</summary>
    private sealed class SwapListener(ChannelWriter<Observed.RegionEvent> writer) : UntypedActor
    {
        protected override void OnReceive(object message) => writer.TryWrite((Observed.RegionEvent)message);
    }

    private static JobRequest ToRequest(string tenant, CnnLayer layer, ConvProblem problem)
    {
        var width = layer.Module.Bits / 8;
        var i = problem.InputShape;
        var w = problem.WeightShape;
        return new JobRequest(
            tenant, layer.Module.Name.Value, layer.Stride, layer.Padding.ToString().ToLowerInvariant(), layer.Shift, "requantized",
            [i.N, i.C, i.H, i.W], TensorBytes.Encode(problem.Input.Span, width),
            [w.N, w.C, w.H, w.W], TensorBytes.Encode(problem.Weights.Span, width));
    }
}
