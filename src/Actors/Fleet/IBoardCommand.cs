namespace Dpr.Actors.Fleet;

/// <summary>A message for one board of the fleet: the sharding key is <see cref="Board"/>.</summary>
public interface IBoardCommand : IDprMessage
{
    string Board { get; }
}
