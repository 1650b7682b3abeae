using Akka.Actor;

namespace Dpr.Actors.Tests;

/// <summary>Waits on an actor system's event stream for what the code under test publishes, instead of polling for its effect.</summary>
public static class EventStreamWait
{
    /// <summary>
    /// The first <typeparamref name="T"/> published from now on that <paramref name="match"/> accepts. Subscribed before
    /// this returns, so start waiting before causing the event.
    /// </summary>
    public static Task<T> Next<T>(ActorSystem system, Func<T, bool> match)
    {
        var next = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        system.EventStream.Subscribe(system.ActorOf(Props.Create(() => new Watcher<T>(next, match))), typeof(T));
        return next.Task;
    }

    private sealed class Watcher<T> : ReceiveActor
    {
        public Watcher(TaskCompletionSource<T> next, Func<T, bool> match) =>
            Receive<T>(e =>
            {
                if (!match(e))
                {
                    return;
                }
                next.TrySetResult(e);
                Context.System.EventStream.Unsubscribe(Self);
                Context.Stop(Self);
            });
    }
}
