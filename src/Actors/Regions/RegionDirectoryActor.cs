using Akka.Actor;
using Dpr.Fabric.Modules;

namespace Dpr.Actors.Regions;

/// <summary>
/// The board's partitions seen as one: <see cref="Acquire"/> places a module in the partition the
/// replacement policy picks among those that have an image of it, and forwards the load there;
/// <see cref="InvalidateAll"/> records a full reload of the static design in every partition.
/// </summary>
public sealed class RegionDirectoryActor : ReceiveActor
{
    public RegionDirectoryActor(IReadOnlyDictionary<string, IActorRef> regions, ModuleCatalog catalog, ReplacementPolicy policy, TimeSpan askTimeout)
    {
        ReceiveAsync<Acquire>(async acquire =>
        {
            var sender = Sender;
            var candidates = catalog.FindAll(acquire.Module).Select(m => m.Partition.Name).Where(regions.ContainsKey).Distinct().ToList();
            if (candidates.Count == 0)
            {
                sender.Tell(new RegionReplies.LoadFailed("", acquire.Module, $"no partition of this board has an image of '{acquire.Module}'"));
                return;
            }
            var states = await Task.WhenAll(candidates.Select(p => regions[p].Ask<RegionReplies.State>(new RegionCommands.GetState(), askTimeout)));
            var chosen = policy.Choose(acquire.Module, states);
            if (chosen is null)
            {
                sender.Tell(new RegionReplies.LoadFailed("", acquire.Module, $"every partition that can host '{acquire.Module}' is faulted or busy"));
                return;
            }
            regions[chosen].Tell(new RegionCommands.Load(acquire.Module), sender);
        });
        ReceiveAsync<InvalidateAll>(async invalidate =>
        {
            var sender = Sender;
            var states = await Task.WhenAll(regions.Values.Select(r => r.Ask<RegionReplies.State>(new RegionCommands.Invalidate(invalidate.Reason), askTimeout)));
            sender.Tell(states);
        });
    }

    public static Props Props(IReadOnlyDictionary<string, IActorRef> regions, ModuleCatalog catalog, ReplacementPolicy policy, TimeSpan askTimeout) =>
        Akka.Actor.Props.Create(() => new RegionDirectoryActor(regions, catalog, policy, askTimeout));

    /// <summary>Load <see cref="Module"/> somewhere; answered by the chosen region manager.</summary>
    public sealed record Acquire(string Module);

    /// <summary>The static design is being (or was) reloaded: every partition becomes empty, on record. Answered with their states.</summary>
    public sealed record InvalidateAll(string Reason);
}
