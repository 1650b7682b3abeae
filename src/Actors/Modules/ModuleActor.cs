using Akka.Actor;
using Akka.Event;
using Dpr.Fabric.Drivers;

namespace Dpr.Actors.Modules;

/// <summary>
/// One loaded module: its bound driver runs one job at a time (the module has one engine), off the
/// actor thread; jobs that arrive meanwhile queue here. Stopped by its region manager before the
/// partition is rewritten: the running job finishes, queued jobs are handed back, never lost.
/// </summary>
public sealed class ModuleActor : ReceiveActor
{
    private readonly ConvDriver _driver;
    private readonly string _partition;
    private readonly Queue<(ModuleCommands.Run Run, IActorRef ReplyTo)> _queue = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IActorRef? _drainer;
    private bool _busy;

    public ModuleActor(ConvDriver driver, string partition)
    {
        _driver = driver;
        _partition = partition;
        Receive<ModuleCommands.Run>(run =>
        {
            _queue.Enqueue((run, Sender));
            Next();
        });
        Receive<Finished>(f =>
        {
            _busy = false;
            f.ReplyTo.Tell(f.Reply);
            Next();
        });
        Receive<ModuleCommands.Drain>(_ =>
        {
            _drainer = Sender;
            Next();
        });
    }

    public static Props Props(ConvDriver driver, string partition) => Akka.Actor.Props.Create(() => new ModuleActor(driver, partition));

    private string Module => _driver.Module.Name.Value;

    private void Next()
    {
        if (_busy)
        {
            return;
        }
        if (_drainer is not null)
        {
            var handedBack = _queue.Count;
            while (_queue.TryDequeue(out var queued))
            {
                queued.ReplyTo.Tell(new ModuleReplies.HandedBack(queued.Run.JobId, Module));
            }
            _drainer.Tell(new ModuleReplies.Drained(Module, handedBack));
            Context.Stop(Self);
            return;
        }
        if (!_queue.TryDequeue(out var next))
        {
            return;
        }
        _busy = true;
        var (run, replyTo) = next;
        var module = Module;
        _driver.RunAsync(run.Problem, CancellationToken.None).ContinueWith(
            t => new Finished(replyTo, t.IsCompletedSuccessfully
                ? new ModuleReplies.Completed(run.JobId, module, _partition, t.Result)
                : new ModuleReplies.Failed(run.JobId, module, _partition, t.Exception?.GetBaseException().Message ?? "cancelled")),
            TaskScheduler.Default).PipeTo(Self);
        _log.Debug("Running job {JobId} on {Module} in {Partition}", run.JobId, module, _partition);
    }

    private sealed record Finished(IActorRef ReplyTo, object Reply);
}
