"""pytorch/examples' mnist/main.py, ported to minisep with only the changes docs/coming-from-pytorch.md lists.

Every line that differs from the torch script carries a ``# torch:`` comment with the original; the
rest (the Net, train(), test(), the argument names, Adadelta + StepLR, the log lines) is unchanged.

    python examples/07_pytorch_mnist_port.py --epochs 1                # MNIST (found on disk or downloaded)
    python examples/07_pytorch_mnist_port.py --data-dir DIR --epochs 2
    python examples/07_pytorch_mnist_port.py --quick                   # a few batches; digits if no MNIST

Without MNIST on disk and without --download, it trains on the UCI digits embedded in minisep,
scaled from 8x8 to 28x28 (np.kron, then a 2-pixel border), and says so.
"""
import argparse

import numpy as np

import minisep as ms                                   # torch: import torch
import minisep.nn.functional as F                      # torch: import torch.nn.functional as F
from minisep import nn, optim                          # torch: import torch.nn as nn; import torch.optim as optim
from minisep.app.checkpoint import save_checkpoint     # torch: torch.save
from minisep.data import (DataLoader, DatasetNotFoundError,  # torch: from torchvision import datasets, transforms
                          load_digits, load_mnist)
from minisep.optim.lr_scheduler import StepLR          # torch: from torch.optim.lr_scheduler import StepLR


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = x.flatten(1)                               # torch: x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def train(args, model, train_loader, optimizer, epoch):  # torch: (args, model, device, train_loader, ...)
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = ms.from_numpy(data), ms.from_numpy(target)  # torch: data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(
                epoch, batch_idx * len(data), len(train_loader.dataset),
                100. * batch_idx / len(train_loader), loss.item()))
            if args.dry_run:
                break


def test(model, test_loader):                          # torch: test(model, device, test_loader)
    model.eval()
    test_loss = 0
    correct = 0
    with ms.no_grad():                                 # torch: with torch.no_grad():
        for data, target in test_loader:
            data, target = ms.from_numpy(data), ms.from_numpy(target)  # torch: .to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction='sum').item()  # sum up batch loss
            pred = output.argmax(dim=1, keepdim=True)  # get the index of the max log-probability
            correct += pred.eq(target.view_as(pred)).sum().item()

    test_loss /= len(test_loader.dataset)

    print('\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\n'.format(
        test_loss, correct, len(test_loader.dataset),
        100. * correct / len(test_loader.dataset)))
    return correct / len(test_loader.dataset)


def digits_as_28x28(split):
    """The embedded 8x8 digits blown up to MNIST's 28x28: each pixel a 3x3 block, then a 2-pixel border."""
    x, y = load_digits(split)
    x = np.kron(x, np.ones((1, 1, 3, 3), np.float32))             # (N,1,8,8) -> (N,1,24,24)
    return np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2))), y          # -> (N,1,28,28)


def load_split(split, args):
    """(x, y) of MNIST, normalised as the torch script's transforms.Normalize((0.1307,), (0.3081,))."""
    try:
        x, y = load_mnist(split, data_dir=args.data_dir, download=args.download)
        name = "MNIST"
    except DatasetNotFoundError:
        x, y = digits_as_28x28(split)
        name = "the embedded UCI digits (8x8 scaled to 28x28; no MNIST found, see --data-dir / --download)"
    return (x - np.float32(0.1307)) / np.float32(0.3081), y, name


def main():
    # Training settings
    parser = argparse.ArgumentParser(description='minisep MNIST Example')  # torch: 'PyTorch MNIST Example'
    parser.add_argument('--batch-size', type=int, default=64, metavar='N',
                        help='input batch size for training (default: 64)')
    parser.add_argument('--test-batch-size', type=int, default=1000, metavar='N',
                        help='input batch size for testing (default: 1000)')
    parser.add_argument('--epochs', type=int, default=14, metavar='N',
                        help='number of epochs to train (default: 14)')
    parser.add_argument('--lr', type=float, default=1.0, metavar='LR',
                        help='learning rate (default: 1.0)')
    parser.add_argument('--gamma', type=float, default=0.7, metavar='M',
                        help='Learning rate step gamma (default: 0.7)')
    # torch: --no-cuda / --no-mps: minisep runs on the CPU only
    parser.add_argument('--dry-run', action='store_true', default=False,
                        help='quickly check a single pass')
    parser.add_argument('--seed', type=int, default=1, metavar='S',
                        help='random seed (default: 1)')
    parser.add_argument('--log-interval', type=int, default=10, metavar='N',
                        help='how many batches to wait before logging training status')
    parser.add_argument('--save-model', action='store_true', default=False,
                        help='For Saving the current Model')
    parser.add_argument('--data-dir', default=None, help='folder with the MNIST IDX files (minisep addition)')
    parser.add_argument('--download', action='store_true', help='allow the verified MNIST download')
    parser.add_argument('--quick', action='store_true', help='a few batches of 256 images (the tests use it)')
    args = parser.parse_args()

    ms.manual_seed(args.seed)                          # torch: torch.manual_seed(args.seed)

    x_train, y_train, name = load_split("train", args)
    x_test, y_test, _ = load_split("test", args)
    if args.quick:
        x_train, y_train, x_test, y_test = x_train[:256], y_train[:256], x_test[:200], y_test[:200]
        args.epochs, args.log_interval = 1, 2
    print(f"data: {name}, {len(y_train)} training and {len(y_test)} test images")
    # torch: datasets.MNIST(...) + torch.utils.data.DataLoader(dataset, **train_kwargs)
    train_loader = DataLoader(x_train, y_train, batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(x_test, y_test, batch_size=args.test_batch_size)

    model = Net()                                      # torch: Net().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)

    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    for epoch in range(1, args.epochs + 1):
        train(args, model, train_loader, optimizer, epoch)
        test(model, test_loader)
        scheduler.step()

    if args.save_model:
        save_checkpoint("mnist_cnn.npz", model.state_dict())  # torch: torch.save(model.state_dict(), "mnist_cnn.pt")


if __name__ == '__main__':
    main()
