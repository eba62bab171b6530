// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Stele data registry
/// @notice A system contract present in every Stele genesis at 0x0000000000000000000000000000000000005701.
///         It records who registered a content hash first, under which licence, and who owns it now.
///         See docs/spec/data.md. There is no constructor: genesis installs the runtime code with empty storage.
contract DataRegistry {
    struct Record {
        address owner;
        address registrant;
        uint64 blockNumber;
        uint64 timestamp;
        string licence;
        string metadata;
    }

    /// @notice One entry of a record's history: kind 0 = registration, 1 = transfer.
    struct Change {
        uint8 kind;
        address from;
        address to;
        uint64 blockNumber;
        uint64 timestamp;
    }

    mapping(bytes32 => Record) private records;
    mapping(bytes32 => Change[]) private changes;

    event Registered(bytes32 indexed contentHash, address indexed registrant, string licence, string metadata);
    event Transferred(bytes32 indexed contentHash, address indexed from, address indexed to);

    /// @notice Registers contentHash to the caller. The first registration wins; any later one reverts.
    function register(bytes32 contentHash, string calldata licence, string calldata metadata) external {
        require(contentHash != bytes32(0), "DataRegistry: zero content hash");
        Record storage record = records[contentHash];
        require(record.owner == address(0), "DataRegistry: already registered");
        record.owner = msg.sender;
        record.registrant = msg.sender;
        record.blockNumber = uint64(block.number);
        record.timestamp = uint64(block.timestamp);
        record.licence = licence;
        record.metadata = metadata;
        changes[contentHash].push(Change(0, address(0), msg.sender, uint64(block.number), uint64(block.timestamp)));
        emit Registered(contentHash, msg.sender, licence, metadata);
    }

    /// @notice Moves ownership of a registered hash. Only its current owner may do this.
    function transfer(bytes32 contentHash, address newOwner) external {
        Record storage record = records[contentHash];
        require(record.owner != address(0), "DataRegistry: not registered");
        require(record.owner == msg.sender, "DataRegistry: caller is not the owner");
        require(newOwner != address(0), "DataRegistry: new owner is the zero address");
        record.owner = newOwner;
        changes[contentHash].push(Change(1, msg.sender, newOwner, uint64(block.number), uint64(block.timestamp)));
        emit Transferred(contentHash, msg.sender, newOwner);
    }

    /// @notice The record of contentHash; owner is the zero address when it was never registered.
    function get(bytes32 contentHash)
        external
        view
        returns (
            address owner,
            address registrant,
            uint64 blockNumber,
            uint64 timestamp,
            string memory licence,
            string memory metadata
        )
    {
        Record storage record = records[contentHash];
        return (record.owner, record.registrant, record.blockNumber, record.timestamp, record.licence, record.metadata);
    }

    /// @notice Every registration and transfer of contentHash, oldest first.
    function history(bytes32 contentHash) external view returns (Change[] memory) {
        return changes[contentHash];
    }
}
