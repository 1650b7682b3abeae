using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Dpr.Fabric.Drivers;

namespace Dpr.Actors.Modules;

/// <summary>
/// One loaded module: its bound driver runs one job at a time (the module has one engine), off the
/// actor thread; jobs that arrive meanwhile queue here. Stopped by its region manager before the
/// partition is rewritten: the running job finishes, queued jobs are handed back, never lost. Stopped
/// without a drain (an upset spoiled the module, its region manager stopped), it hands back every job
/// it holds, the running one included: its result would not be trusted.
/// </summary>
public sealed class ModuleActor : UntypedActor
{
    private readonly ConvDriver _driver;
    private readonly string _partition;
    private readonly Queue<(ModuleCommands.Run Run, IActorRef ReplyTo)> _queue = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IActorRef? _drainer;
    private (ModuleCommands.Run Run, IActorRef ReplyTo)? _running;

    public ModuleActor(ConvDriver driver, string partition)
    {
        _driver = driver;
        _partition = partition;
    }

    /// <summary>A switch rather than <c>Receive</c> registrations: one module actor starts at every swap, and building its handler table allocated more than the rest of it.</summary>
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case ModuleCommands.Run run:
                _queue.Enqueue((run, Sender));
                break;
            case Finished f:
                _running = null;
                f.ReplyTo.Tell(f.Reply);
                break;
            case ModuleCommands.Drain:
                _drainer = Sender;
                break;
            default:
                Unhandled(message);
                return;
        }
        Next();
    }

    public static Props Props(ConvDriver driver, string partition) => Akka.Actor.Props.Create(() => new ModuleActor(driver, partition));

    private string Module => _driver.Module.Name.Value;

    private void Next()
    {
        if (_running is not null)
        {
            return;
        }
        if (_drainer is not null)
        {
            var handedBack = _queue.Count;
            while (_queue.TryDequeue(out var queued))
            {
                queued.ReplyTo.Tell(new ModuleReplies.HandedBack(queued.Run.JobId, Module, $"{Module} in {_partition} was unloaded before the job ran", Started: false));
            }
            _drainer.Tell(new ModuleReplies.Drained(Module, handedBack));
            Context.Stop(Self);
            return;
        }
        if (!_queue.TryDequeue(out var next))
        {
            return;
        }
        _running = next;
        var (run, replyTo) = next;
        var module = Module;
        var started = Stopwatch.GetTimestamp();
        _driver.RunAsync(run.Job, CancellationToken.None).ContinueWith(
            t => new Finished(replyTo, t.IsCompletedSuccessfully
                ? new ModuleReplies.Completed(run.JobId, module, _partition, t.Result, Stopwatch.GetElapsedTime(started))
                : new ModuleReplies.Failed(run.JobId, module, _partition, t.Exception?.GetBaseException().Message ?? "cancelled")),
            TaskScheduler.Default).PipeTo(Self);
        _log.Debug("Running job {JobId} on {Module} in {Partition}", run.JobId, module, _partition);
    }

    protected override void PostStop()
    {
        var reason = $"{Module} in {_partition} was stopped (an upset, or its region manager stopped)";
        var held = _running is { } running ? _queue.Prepend(running) : _queue;
        foreach (var (run, replyTo) in held)
        {
            replyTo.Tell(new ModuleReplies.HandedBack(run.JobId, Module, reason));
        }
        _queue.Clear();
        base.PostStop();
    }

    private sealed record Finished(IActorRef ReplyTo, object Reply);
}
