namespace Dpr.Actors;

/// <summary>
/// Everything dpr persists or sends between processes. Bound to <see cref="Serialization.DprSerializer"/>
/// in the actor system's configuration, so none of it is ever written by a reflection-based serializer.
/// </summary>
public interface IDprMessage
{
}
